-- Make failed writes due at the next push (sync.retry_push_failure).
SELECT sync.retry_push_failure(f.id, %(actor)s::text) AS log_id
  FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS f(id, ord)
 ORDER BY f.ord
