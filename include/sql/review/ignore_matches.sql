-- Leave the reviews' PCO people unsynced (sync.ignore_match).
SELECT sync.ignore_match(m.id, %(actor)s::text) AS log_id
  FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS m(id, ord)
 ORDER BY m.ord
