-- Open conflicts for the review page, newest first, each with the record it belongs to in
-- the church's words: the person (for a person's own field or one of their contacts) or
-- the family. Filters: entity, field, words of the person's or family's name (NULL: any).
WITH open_conflicts AS (
    SELECT c.id, c.entity, c.local_id, c.pco_id, c.field, c.base_value, c.pco_value,
           c.local_value, c.run_id, c.detected_at
      FROM sync.conflicts AS c
     WHERE c.resolved_at IS NULL
       AND (%(entity)s::text IS NULL OR c.entity = %(entity)s::text)
       AND (%(field)s::text IS NULL OR c.field = %(field)s::text)
),

owners AS (
    SELECT o.id,
           CASE WHEN o.entity = 'family' THEN 'family' ELSE 'person' END AS record_kind,
           CASE o.entity
               WHEN 'person' THEN o.local_id
               WHEN 'email' THEN e.person_id
               WHEN 'phone_number' THEN n.person_id
               WHEN 'address' THEN a.person_id
               WHEN 'family' THEN o.local_id
           END AS record_id
      FROM open_conflicts AS o
      LEFT JOIN church.emails AS e ON o.entity = 'email' AND e.id = o.local_id
      LEFT JOIN church.phone_numbers AS n ON o.entity = 'phone_number' AND n.id = o.local_id
      LEFT JOIN church.addresses AS a ON o.entity = 'address' AND a.id = o.local_id
),

named AS (
    SELECT w.id, w.record_kind, w.record_id,
           coalesce(CASE w.record_kind
                        WHEN 'person' THEN nullif(concat_ws(' ', p.first_name, p.last_name), '')
                        ELSE f.name
                    END, '(no name)') AS record_name,
           CASE w.record_kind WHEN 'person' THEN p.pco_id ELSE f.pco_id END AS record_pco_id
      FROM owners AS w
      LEFT JOIN church.people AS p ON w.record_kind = 'person' AND p.id = w.record_id
      LEFT JOIN church.families AS f ON w.record_kind = 'family' AND f.id = w.record_id
)

SELECT o.id, o.entity, o.local_id, o.pco_id, o.field,
       o.base_value AS agreed_value, o.pco_value, o.local_value,
       o.run_id, o.detected_at,
       n.record_kind, n.record_id, n.record_name, n.record_pco_id
  FROM open_conflicts AS o
  JOIN named AS n USING (id)
 WHERE %(search)s::text IS NULL OR n.record_name ILIKE '%%' || %(search)s::text || '%%'
 ORDER BY o.detected_at DESC, n.record_name, o.entity, o.field
 LIMIT %(limit)s
