-- A run's stored validation results (of one stream, or all when stream is null), for Data
-- Docs: in the order the streams were validated, each stream's frames by name.
SELECT stream, frame, suite, success, result, validated_at
  FROM sync.quality_results
 WHERE run_id = %(run_id)s
   AND (%(stream)s::text IS NULL OR stream = %(stream)s::text)
 ORDER BY min(validated_at) OVER (PARTITION BY stream), stream, frame
