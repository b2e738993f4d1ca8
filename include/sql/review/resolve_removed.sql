-- Decide what happens to records removed in PCO (sync.resolve_removed): keep (local only),
-- delete (locally) or recreate (the next push creates them again in PCO).
SELECT sync.resolve_removed(r.id, %(choice)s::text, %(actor)s::text) AS log_id
  FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS r(id, ord)
 ORDER BY r.ord
