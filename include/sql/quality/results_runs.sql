-- The runs with stored validation results, latest first: what each checked and how it went.
SELECT run_id,
       max(validated_at)                                             AS validated_at,
       bool_and(success)                                             AS success,
       array_agg(DISTINCT stream ORDER BY stream)                    AS streams,
       sum((statistics ->> 'evaluated_expectations')::int)::int      AS evaluated,
       sum((statistics ->> 'unsuccessful_expectations')::int)::int   AS failed
  FROM sync.quality_results
 GROUP BY run_id
 ORDER BY max(validated_at) DESC, run_id
 LIMIT %(limit)s
