-- Linked families changed locally since agreed: name and primary contact (as a PCO person
-- id, so only a primary contact PCO has), patched when they differ from the agreed state
-- and are not in an open conflict. Params: full_push.
WITH linked AS (
    SELECT f.id AS family_id, f.pco_id, a.fields AS agreed,
           jsonb_strip_nulls(jsonb_build_object('primary_contact', pc.pco_id))
             || jsonb_build_object('name', f.name) AS local
      FROM church.families f
      JOIN sync.agreed_families a ON a.family_id = f.id AND a.pco_id = f.pco_id
      LEFT JOIN church.people pc ON pc.id = f.primary_contact_id
     WHERE NOT EXISTS (SELECT 1 FROM sync.removed_in_pco r
                        WHERE r.entity = 'family' AND r.local_id = f.id
                          AND r.resolved_at IS NULL)
),
changed AS (
    SELECT l.family_id, l.pco_id, jsonb_object_agg(k.field, l.local -> k.field) AS sent
      FROM linked l
     CROSS JOIN LATERAL jsonb_object_keys(l.local) AS k(field)
     WHERE l.local -> k.field IS DISTINCT FROM coalesce(l.agreed -> k.field, 'null')
       AND NOT EXISTS (SELECT 1 FROM sync.conflicts x
                        WHERE x.entity = 'family' AND x.local_id = l.family_id
                          AND x.field = k.field AND x.resolved_at IS NULL)
     GROUP BY l.family_id, l.pco_id
)
SELECT 'family' AS entity, c.family_id::text AS key, 'update' AS operation,
       'PATCH' AS method, '/people/v2/households/' || c.pco_id AS path,
       jsonb_build_object('data', jsonb_build_object(
           'type', 'Household', 'id', c.pco_id,
           'attributes', (c.sent - 'primary_contact')
               || CASE WHEN c.sent ? 'primary_contact'
                       THEN jsonb_build_object('primary_contact_id', c.sent -> 'primary_contact')
                       ELSE '{}' END)) AS body,
       c.family_id AS local_id, c.family_id AS subject, c.pco_id, c.sent,
       '{}'::jsonb AS meta, NULL AS lookup, false AS pending,
       CASE WHEN NOT %(full_push)s AND f.retry_after > now() THEN 'waiting to retry' END AS skip
  FROM changed c
  LEFT JOIN sync.push_failures f
    ON f.entity = 'family' AND f.key = c.family_id::text AND f.operation = 'update'
   AND f.resolved_at IS NULL
 ORDER BY c.family_id;
