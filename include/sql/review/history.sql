-- Staff decisions, newest first: of one record (entity and local id, or PCO id; a person's
-- include those on their emails, phone numbers and addresses) or, with no record given, of
-- every record (of one entity, when given).
WITH contacts AS (
    SELECT 'email' AS entity, e.id FROM church.emails AS e
     WHERE %(entity)s::text = 'person' AND e.person_id = %(local_id)s::bigint
    UNION ALL
    SELECT 'phone_number', n.id FROM church.phone_numbers AS n
     WHERE %(entity)s::text = 'person' AND n.person_id = %(local_id)s::bigint
    UNION ALL
    SELECT 'address', a.id FROM church.addresses AS a
     WHERE %(entity)s::text = 'person' AND a.person_id = %(local_id)s::bigint
)

SELECT l.id, l.at, l.actor, l.action, l.entity, l.local_id, l.pco_id,
       sync.record_name(l.entity, l.local_id) AS name, l.field, l.subject_id, l.before, l.after
  FROM sync.resolution_log AS l
 WHERE (%(local_id)s::bigint IS NULL AND %(pco_id)s::text IS NULL
        AND (%(entity)s::text IS NULL OR l.entity = %(entity)s::text))
    OR (l.entity = %(entity)s::text
        AND (l.local_id = %(local_id)s::bigint OR l.pco_id = %(pco_id)s::text))
    OR (l.entity, l.local_id) IN (SELECT c.entity, c.id FROM contacts AS c)
 ORDER BY l.at DESC, l.id DESC
 LIMIT %(limit)s
