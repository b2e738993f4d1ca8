-- One batch of pages (BATCH_ROWS records) on its way into pco_staging.<stream>: COPY'd
-- here, then upserted with upsert_batch.sql. Made once per extract; emptied at each commit
-- (an extract commits per batch), so no batch leaves rows for the next.
DROP TABLE IF EXISTS pg_temp.pco_extract_batch;
CREATE TEMP TABLE pco_extract_batch (
    seq             bigint      NOT NULL,  -- read order: on equal updated_at the later wins
    pco_id          text        NOT NULL,
    pco_updated_at  timestamptz,
    record          jsonb       NOT NULL
) ON COMMIT DELETE ROWS;
