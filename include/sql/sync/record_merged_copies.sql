-- After a merge: when the copies of {table} this run staged were read, per record (never
-- backwards: a run merging an older copy, or re-running, leaves a later mark alone).
INSERT INTO sync.merged_copies AS marks (stream, pco_id, read_at, run_id)
SELECT {stream}, s.pco_id, s.loaded_at, s.run_id
  FROM {table} s
 WHERE s.run_id = current_setting('pco_sync.run_id')
ON CONFLICT (stream, pco_id) DO UPDATE
SET read_at = excluded.read_at, run_id = excluded.run_id
WHERE excluded.read_at > marks.read_at
