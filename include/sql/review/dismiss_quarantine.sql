-- Take quarantined records as they are (sync.dismiss_quarantine): merged on their next read,
-- not quarantined again while the staged record stays the same.
SELECT sync.dismiss_quarantine(q.id, %(actor)s::text) AS log_id
  FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS q(id, ord)
 ORDER BY q.ord
