-- The open quarantine rows staff asked to check again, with the stream and run whose staged
-- records the check reads (the latest run that saw the record).
SELECT q.id, q.stream, q.run_id, q.pco_id, q.check_name, q.detail
  FROM sync.quarantine AS q
 WHERE q.id = ANY (%(ids)s::bigint[])
   AND q.resolved_at IS NULL
 ORDER BY q.id
