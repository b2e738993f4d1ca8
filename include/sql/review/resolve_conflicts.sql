-- Settle conflicts with one choice (local, pco, or value with %(value)s), all or none: the
-- same function staff call from SQL (schema/070_sync_resolutions.sql).
SELECT sync.resolve_conflict(c.id, %(choice)s::text, %(value)s::text, %(actor)s::text) AS log_id
  FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS c(id, ord)
 ORDER BY c.ord
