-- This run's validation results of one stream, one row per frame; rows an earlier attempt
-- of the run stored for frames not given now are dropped (a stream with nothing staged
-- gives none). Re-running a run's validation replaces its rows.
WITH saved AS (
    INSERT INTO sync.quality_results AS r
           (run_id, stream, frame, suite, success, statistics, result, validated_at)
    SELECT current_setting('pco_sync.run_id'), %(stream)s, given.frame, given.suite,
           given.success, given.statistics, given.result, now()
      FROM unnest(%(frames)s::text[], %(suites)s::text[], %(successes)s::boolean[],
                  %(statistics)s::jsonb[], %(results)s::jsonb[])
           AS given (frame, suite, success, statistics, result)
    ON CONFLICT (run_id, stream, frame)
    DO UPDATE SET suite = excluded.suite, success = excluded.success,
                  statistics = excluded.statistics, result = excluded.result,
                  validated_at = excluded.validated_at
)
DELETE FROM sync.quality_results AS r
 WHERE r.run_id = current_setting('pco_sync.run_id')
   AND r.stream = %(stream)s
   AND r.frame <> ALL (%(frames)s::text[])
