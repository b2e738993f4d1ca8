-- Who holds locks on the church's, the sync's or staging's tables, other than this session:
-- what a migration that ran out of lock time waited for, for its error message.
SELECT DISTINCT a.pid, a.usename, a.application_name, a.client_addr::text, a.state,
       a.xact_start, left(regexp_replace(a.query, '\s+', ' ', 'g'), 200) AS query,
       string_agg(DISTINCT n.nspname || '.' || c.relname, ', ') AS tables
  FROM pg_locks AS l
  JOIN pg_class AS c ON c.oid = l.relation
  JOIN pg_namespace AS n ON n.oid = c.relnamespace
  JOIN pg_stat_activity AS a ON a.pid = l.pid
 WHERE l.granted
   AND n.nspname IN ('church', 'sync', 'pco_staging')
   AND l.pid <> pg_backend_pid()
 GROUP BY a.pid, a.usename, a.application_name, a.client_addr, a.state, a.xact_start, a.query
 ORDER BY a.xact_start NULLS LAST
 LIMIT 5
