-- Stop sending failed writes until the record changes again (sync.dismiss_push_failure).
SELECT sync.dismiss_push_failure(f.id, %(actor)s::text) AS log_id
  FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS f(id, ord)
 ORDER BY f.ord
