-- After a merge: how far this run's pulls of the merged streams reach (never backwards: a
-- backfill of an old window leaves a later mark alone).
INSERT INTO sync.pulled_until AS marks (stream, pulled_to, run_id)
SELECT extracts.stream, extracts.window_end, extracts.run_id
  FROM pco_staging.extracts AS extracts
 WHERE extracts.run_id = current_setting('pco_sync.run_id')
   AND extracts.window_end IS NOT NULL
   AND extracts.stream = ANY(%(streams)s)
ON CONFLICT (stream) DO UPDATE
SET pulled_to = excluded.pulled_to, run_id = excluded.run_id, merged_at = now()
WHERE excluded.pulled_to > marks.pulled_to
