-- After a merge: the streams of that entity this run pulled whole are fully synced.
INSERT INTO sync.full_syncs (stream, run_id)
SELECT extracts.stream, extracts.run_id
  FROM pco_staging.extracts AS extracts
 WHERE extracts.run_id = current_setting('pco_sync.run_id')
   AND extracts.mode = 'snapshot'
   AND extracts.stream = ANY(%(streams)s)
ON CONFLICT (stream) DO UPDATE
SET run_id = excluded.run_id, merged_at = now()
