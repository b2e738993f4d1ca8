-- Raw PCO records as extracted, one table per stream, keyed by (run_id, pco_id) so a
-- re-run of an extract replaces its own rows. `record` is the JSON:API resource with its
-- side-loaded records resolved under `included` (e.g. a person's emails); `pco_updated_at`
-- is PCO's updated_at where the resource has one.
CREATE TABLE IF NOT EXISTS pco_staging.people (
    run_id          text        NOT NULL,
    pco_id          text        NOT NULL,
    pco_updated_at  timestamptz,
    record          jsonb       NOT NULL,
    loaded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, pco_id)
);

CREATE TABLE IF NOT EXISTS pco_staging.households (
    run_id          text        NOT NULL,
    pco_id          text        NOT NULL,
    pco_updated_at  timestamptz,
    record          jsonb       NOT NULL,
    loaded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, pco_id)
);

-- Which streams each run extracted and how (window or snapshot), so quality gates and
-- merges know whether "absent from this run" can mean "gone from PCO".
CREATE TABLE IF NOT EXISTS pco_staging.extracts (
    run_id          text        NOT NULL,
    stream          text        NOT NULL,
    mode            text        NOT NULL CHECK (mode IN ('window', 'snapshot')),
    window_start    timestamptz,
    window_end      timestamptz,
    records         integer     NOT NULL,
    requests        integer     NOT NULL,
    finished_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, stream)
);
