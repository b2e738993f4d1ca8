-- Records that failed a row-level quality check: kept whole with the reason, never lost.
-- One row per (run, stream, record, check); a re-run of the same check replaces its rows.
CREATE TABLE IF NOT EXISTS sync.quarantine (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id          text        NOT NULL,
    stream          text        NOT NULL,
    pco_id          text,
    check_name      text        NOT NULL,
    detail          text,
    payload         jsonb       NOT NULL,
    quarantined_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at     timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS quarantine_once
    ON sync.quarantine (run_id, stream, coalesce(pco_id, ''), check_name);
