-- Staff decisions, newest first: of one record (entity and local id, or PCO id) or, with
-- no record given, of everything.
SELECT l.id, l.at, l.actor, l.action, l.entity, l.local_id, l.pco_id, l.field,
       l.subject_id, l.before, l.after
  FROM sync.resolution_log AS l
 WHERE (%(entity)s::text IS NULL OR l.entity = %(entity)s::text)
   AND ((%(local_id)s::bigint IS NULL AND %(pco_id)s::text IS NULL)
        OR l.local_id = %(local_id)s::bigint OR l.pco_id = %(pco_id)s::text)
 ORDER BY l.at DESC, l.id DESC
 LIMIT %(limit)s
