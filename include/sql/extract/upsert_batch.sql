-- One row per pco_id from the batch; across batches the newest updated_at stays.
-- {table} is pco_staging.<stream> (an identifier, filled in by extract/staging.py).
-- loaded_at is when the batch's pages were read (clock_timestamp(): an extract is one long
-- transaction, whose now() would be its start): sync.merged_copies orders copies by it.
INSERT INTO {table} AS staged (run_id, pco_id, pco_updated_at, record, loaded_at)
SELECT DISTINCT ON (batch.pco_id)
       current_setting('pco_sync.run_id'), batch.pco_id, batch.pco_updated_at, batch.record,
       clock_timestamp()
FROM pg_temp.pco_extract_batch AS batch
ORDER BY batch.pco_id, batch.pco_updated_at DESC NULLS LAST, batch.seq DESC
ON CONFLICT (run_id, pco_id) DO UPDATE
SET pco_updated_at = excluded.pco_updated_at,
    record         = excluded.record,
    loaded_at      = excluded.loaded_at
WHERE staged.pco_updated_at IS NULL
   OR excluded.pco_updated_at >= staged.pco_updated_at
