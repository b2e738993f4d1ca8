-- The runs whose staged copies are all kept, for diagnosis: the latest %(keep_runs)s runs
-- (sync runs and webhook batches alike) by when their extracts finished.
SELECT extracts.run_id
  FROM pco_staging.extracts AS extracts
 GROUP BY extracts.run_id
 ORDER BY max(extracts.finished_at) DESC
 LIMIT %(keep_runs)s
