-- Linked people changed locally since the agreed state: one PATCH per person with only the
-- changed pushed fields. A field is left out while it is in an open conflict, or when the
-- latest PCO record staged after the agreement holds another value (a PCO edit the merge
-- has not taken, e.g. quarantined): the inbound side decides those, never the push.
-- Params: fields, full_push.
WITH linked AS (
    SELECT p.id AS person_id, p.pco_id, a.agreed_at,
           jsonb_build_object(
               'first_name', p.first_name, 'last_name', p.last_name,
               'nickname', p.nickname, 'middle_name', p.middle_name,
               'birthdate', p.birthdate, 'gender', p.gender, 'status', p.status,
               'membership', p.membership, 'child', p.child) AS local,
           jsonb_build_object(
               'first_name', a.first_name, 'last_name', a.last_name,
               'nickname', a.nickname, 'middle_name', a.middle_name,
               'birthdate', a.birthdate, 'gender', a.gender, 'status', a.status,
               'membership', a.membership, 'child', a.child) AS agreed
      FROM church.people p
      JOIN sync.agreed_people a ON a.person_id = p.id AND a.pco_id = p.pco_id
     WHERE NOT EXISTS (SELECT 1 FROM sync.removed_in_pco r
                        WHERE r.entity = 'person' AND r.local_id = p.id
                          AND r.resolved_at IS NULL)
),
changed AS (
    SELECT l.person_id, l.pco_id, l.agreed_at, k.field,
           l.local -> k.field AS local_value, l.agreed -> k.field AS agreed_value
      FROM linked l
     CROSS JOIN LATERAL jsonb_object_keys(l.local) AS k(field)
     WHERE k.field = ANY (%(fields)s)
       AND l.local -> k.field IS DISTINCT FROM l.agreed -> k.field
),
pushable AS (
    SELECT c.*
      FROM changed c
      LEFT JOIN LATERAL (SELECT s.record, s.loaded_at
                           FROM pco_staging.people s
                          WHERE s.pco_id = c.pco_id
                          ORDER BY s.loaded_at DESC
                          LIMIT 1) st ON true
     WHERE NOT EXISTS (SELECT 1 FROM sync.conflicts x
                        WHERE x.entity = 'person' AND x.local_id = c.person_id
                          AND x.field = c.field AND x.resolved_at IS NULL)
       -- (no staged record since the agreement: nothing PCO-side to wait for)
       AND NOT coalesce(st.loaded_at > c.agreed_at
                        AND sync.pco_person_fields(st.record -> 'attributes') -> c.field
                            IS DISTINCT FROM c.agreed_value, false)
),
per_person AS (
    SELECT person_id, pco_id, jsonb_object_agg(field, local_value) AS sent
      FROM pushable
     GROUP BY person_id, pco_id
)
SELECT 'person' AS entity, pp.person_id::text AS key, 'update' AS operation,
       'PATCH' AS method, '/people/v2/people/' || pp.pco_id AS path,
       jsonb_build_object('data', jsonb_build_object(
           'type', 'Person', 'id', pp.pco_id, 'attributes', pp.sent)) AS body,
       pp.person_id AS local_id, pp.person_id AS subject, pp.pco_id, pp.sent,
       '{}'::jsonb AS meta, NULL AS lookup, false AS pending,
       CASE WHEN NOT %(full_push)s AND f.retry_after > now() THEN 'waiting to retry' END AS skip
  FROM per_person pp
  LEFT JOIN sync.push_failures f
    ON f.entity = 'person' AND f.key = pp.person_id::text AND f.operation = 'update'
   AND f.resolved_at IS NULL
 ORDER BY pp.person_id;
