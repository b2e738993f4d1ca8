-- After a merge: when the copies of {table} this run staged were read, per record (never
-- backwards: a run merging an older copy, or re-running, leaves a later mark alone).
-- Only for a church that has had webhook deliveries: without webhook batches no two runs
-- race over a record, and a first sync of 100,000 people skips 100,000 writes.
INSERT INTO sync.merged_copies AS marks (stream, pco_id, read_at, run_id)
SELECT {stream}, s.pco_id, s.loaded_at, s.run_id
  FROM {table} s
 WHERE s.run_id = current_setting('pco_sync.run_id')
   AND EXISTS (SELECT 1 FROM sync.webhook_deliveries)
ON CONFLICT (stream, pco_id) DO UPDATE
SET read_at = excluded.read_at, run_id = excluded.run_id
WHERE excluded.read_at > marks.read_at
