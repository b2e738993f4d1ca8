-- Open quarantine rows, newest first: the check that failed, its detail, the raw staged
-- record, the run that last saw it (its Great Expectations results are that run's).
SELECT q.id, q.stream, q.pco_id, q.contact_kind, q.contact_id, q.check_name, q.detail,
       q.payload, q.run_id, q.first_run_id, q.quarantined_at
  FROM sync.quarantine AS q
 WHERE q.resolved_at IS NULL
   AND (%(stream)s::text IS NULL OR q.stream = %(stream)s::text)
 ORDER BY q.quarantined_at DESC, q.id DESC
 LIMIT %(limit)s
