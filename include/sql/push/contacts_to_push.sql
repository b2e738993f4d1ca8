-- Emails, phone numbers and addresses of linked people, each written on its own:
-- deleted locally since agreed -> DELETE; changed since agreed -> PATCH of the changed
-- fields (not those in an open conflict); new locally (no PCO id) -> POST under the person.
-- A kind is pushed when pco_sync_push_fields names it ("family_address": the addresses of
-- families' primary contacts). Bodies carry the local values as they are, and the agreed
-- state becomes exactly those (sync.text_fields form, as the merge keeps it).
-- Params: fields, full_push.
WITH people AS (
    SELECT p.id, p.pco_id
      FROM church.people p
     WHERE p.pco_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM sync.removed_in_pco r
                        WHERE r.entity = 'person' AND r.local_id = p.id
                          AND r.resolved_at IS NULL)
),
kinds (kind, tbl, type) AS (
    VALUES ('email', 'emails', 'Email'), ('phone_number', 'phone_numbers', 'PhoneNumber'),
           ('address', 'addresses', 'Address')
),
pushed_for AS (   -- (person, kind) pairs whose contacts are pushed
    SELECT pe.id AS person_id, pe.pco_id AS person_pco_id, k.kind, k.tbl, k.type
      FROM people pe
     CROSS JOIN kinds k
     WHERE k.tbl = ANY (%(fields)s)
        OR (k.kind = 'address' AND 'family_address' = ANY (%(fields)s)
            AND EXISTS (SELECT 1 FROM church.families f WHERE f.primary_contact_id = pe.id))
),
local AS (
    SELECT 'email' AS kind, id AS local_id, person_id, pco_id,
           sync.text_fields(jsonb_build_object('address', address, 'location', location,
                                               'is_primary', is_primary)) AS fields
      FROM church.emails
    UNION ALL
    SELECT 'phone_number', id, person_id, pco_id,
           sync.text_fields(jsonb_build_object('number', number, 'location', location,
                                               'is_primary', is_primary))
      FROM church.phone_numbers
    UNION ALL
    SELECT 'address', id, person_id, pco_id,
           sync.text_fields(jsonb_build_object(
               'street_line_1', street_line_1, 'street_line_2', street_line_2, 'city', city,
               'state', state, 'zip', zip, 'country_code', country_code,
               'location', location, 'is_primary', is_primary))
      FROM church.addresses
),
ops AS (
    -- Deleted locally: the agreed row outlives the local one (the merge keeps it so).
    SELECT a.kind AS entity, 'pco:' || a.pco_id AS key, 'delete' AS operation,
           'DELETE' AS method, '/people/v2/' || w.tbl || '/' || a.pco_id AS path,
           NULL::jsonb AS body, a.local_id, a.person_id AS subject, a.pco_id,
           NULL::jsonb AS sent, '{}'::jsonb AS meta, NULL AS lookup
      FROM sync.agreed_contacts a
      JOIN pushed_for w ON w.person_id = a.person_id AND w.kind = a.kind
     WHERE NOT EXISTS (SELECT 1 FROM local l WHERE l.kind = a.kind AND l.pco_id = a.pco_id)
    UNION ALL
    SELECT c.kind, c.local_id::text, 'update', 'PATCH',
           '/people/v2/' || c.tbl || '/' || c.pco_id,
           jsonb_build_object('data', jsonb_build_object(
               'type', c.type, 'id', c.pco_id,
               'attributes', (c.sent - 'is_primary')
                   || CASE WHEN c.sent ? 'is_primary'
                           THEN jsonb_build_object('primary', (c.sent ->> 'is_primary')::boolean)
                           ELSE '{}' END)),
           c.local_id, c.person_id, c.pco_id, c.sent, '{}'::jsonb, NULL
      FROM (SELECT l.kind, w.tbl, w.type, l.local_id, l.person_id, l.pco_id,
                   jsonb_object_agg(f.field, f.value) AS sent
              FROM local l
              JOIN pushed_for w ON w.person_id = l.person_id AND w.kind = l.kind
              JOIN sync.agreed_contacts a ON a.kind = l.kind AND a.pco_id = l.pco_id
             CROSS JOIN LATERAL jsonb_each(l.fields) AS f(field, value)
             WHERE f.value IS DISTINCT FROM a.fields -> f.field
               AND NOT EXISTS (SELECT 1 FROM sync.conflicts x
                                WHERE x.entity = l.kind AND x.local_id = l.local_id
                                  AND x.field IN (f.field, 'deleted in PCO')
                                  AND x.resolved_at IS NULL)
             GROUP BY l.kind, w.tbl, w.type, l.local_id, l.person_id, l.pco_id) c
    UNION ALL
    SELECT l.kind, l.local_id::text, 'create', 'POST',
           '/people/v2/people/' || w.person_pco_id || '/' || w.tbl,
           jsonb_build_object('data', jsonb_build_object(
               'type', w.type,
               'attributes', (l.fields - 'is_primary')
                   || jsonb_build_object('primary', (l.fields ->> 'is_primary')::boolean))),
           l.local_id, l.person_id, NULL, l.fields,
           jsonb_build_object(
               'match_key', sync.contact_key(l.kind, l.fields),
               'taken', (SELECT coalesce(jsonb_agg(o.pco_id), '[]')
                           FROM local o
                          WHERE o.person_id = l.person_id AND o.kind = l.kind
                            AND o.pco_id IS NOT NULL)),
           'contact'
      FROM local l
      JOIN pushed_for w ON w.person_id = l.person_id AND w.kind = l.kind
     WHERE l.pco_id IS NULL
)
SELECT o.*,
       EXISTS (SELECT 1 FROM sync.push_pending j
                WHERE j.entity = o.entity AND j.key = o.key AND j.operation = o.operation) AS pending,
       CASE WHEN NOT %(full_push)s AND f.retry_after > now() THEN 'waiting to retry' END AS skip
  FROM ops o
  LEFT JOIN sync.push_failures f
    ON f.entity = o.entity AND f.key = o.key AND f.operation = o.operation
   AND f.resolved_at IS NULL
 ORDER BY CASE o.operation WHEN 'delete' THEN 0 WHEN 'update' THEN 1 ELSE 2 END,
          o.subject, o.entity, o.key;
