-- Each run's row-check results (Great Expectations validation results), one row per run,
-- stream and frame, so Data Docs can be rendered by whatever reaches the church database:
-- the Airflow API server may run on another machine than the worker that validated.
-- result is GX's ExpectationSuiteValidationResult as JSON, SUMMARY-sized (counts and the
-- first 20 unexpected values of each expectation, never every failing row); statistics is
-- its statistics, apart for listing runs without reading the results. A re-run of a run's
-- validation replaces its rows of that stream.
CREATE TABLE IF NOT EXISTS sync.quality_results (
    run_id        text        NOT NULL,
    stream        text        NOT NULL,
    frame         text        NOT NULL,
    suite         text        NOT NULL,   -- include/gx/expectations/<suite>.json
    success       boolean     NOT NULL,
    statistics    jsonb       NOT NULL,
    result        jsonb       NOT NULL,
    validated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, stream, frame)
);
-- The Data Docs list: the latest runs first.
CREATE INDEX IF NOT EXISTS quality_results_latest ON sync.quality_results (validated_at DESC);
