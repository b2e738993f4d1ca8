-- One row per pco_id from the batch; across batches the newest updated_at stays.
-- {table} is pco_staging.<stream> (an identifier, filled in by extract/staging.py).
INSERT INTO {table} AS staged (run_id, pco_id, pco_updated_at, record)
SELECT DISTINCT ON (batch.pco_id)
       current_setting('pco_sync.run_id'), batch.pco_id, batch.pco_updated_at, batch.record
FROM pg_temp.pco_extract_batch AS batch
ORDER BY batch.pco_id, batch.pco_updated_at DESC NULLS LAST, batch.seq DESC
ON CONFLICT (run_id, pco_id) DO UPDATE
SET pco_updated_at = excluded.pco_updated_at,
    record         = excluded.record,
    loaded_at      = now()
WHERE staged.pco_updated_at IS NULL
   OR excluded.pco_updated_at >= staged.pco_updated_at
