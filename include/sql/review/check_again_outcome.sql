-- What "Check again" found, from its audit rows %(log_ids)s: how many records pass now (their
-- quarantine rows resolved) and how many still fail (still quarantined).
SELECT count(*) FILTER (WHERE (log.after ->> 'passes')::boolean) AS passing,
       count(*) FILTER (WHERE NOT (log.after ->> 'passes')::boolean) AS failing
  FROM sync.resolution_log AS log
 WHERE log.id = ANY (%(log_ids)s)
