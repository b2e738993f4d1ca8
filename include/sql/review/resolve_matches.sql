-- Decide match reviews: link to %(person_id)s (one review) or create as new (NULL).
SELECT sync.resolve_match(m.id, %(person_id)s::bigint, %(actor)s::text) AS log_id
  FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS m(id, ord)
 ORDER BY m.ord
