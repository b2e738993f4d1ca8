-- Write the email decisions: new from PCO, fields changed only in PCO, links made by
-- value, deletions PCO made to emails nobody changed locally.

-- New from PCO, under the id contacts_compare.sql drew for it.
INSERT INTO church.emails (id, person_id, address, location, is_primary, pco_id)
OVERRIDING SYSTEM VALUE
SELECT local_id, person_id, pco_fields ->> 'address', pco_fields ->> 'location',
       (pco_fields ->> 'is_primary')::boolean, pco_id
  FROM merge_contact_pairs
 WHERE kind = 'email' AND action = 'insert';

WITH patch AS (
    SELECT local_id, coalesce(jsonb_object_agg(field, pco_value) FILTER (WHERE take_pco),
                              '{}') AS p
      FROM merge_contact_fields
     WHERE kind = 'email'
     GROUP BY local_id
),
updated AS (
    UPDATE church.emails t
       SET address    = CASE WHEN patch.p ? 'address'    THEN patch.p ->> 'address'    ELSE t.address END,
           location   = CASE WHEN patch.p ? 'location'   THEN patch.p ->> 'location'   ELSE t.location END,
           is_primary = CASE WHEN patch.p ? 'is_primary' THEN (patch.p ->> 'is_primary')::boolean ELSE t.is_primary END,
           pco_id     = c.pco_id,
           person_id  = c.person_id
      FROM merge_contact_pairs c
      JOIN patch ON patch.local_id = c.local_id
     WHERE c.kind = 'email' AND c.action = 'merge'
       AND t.id = c.local_id
       AND (patch.p <> '{}' OR t.pco_id IS DISTINCT FROM c.pco_id OR t.person_id <> c.person_id)
    RETURNING t.person_id
)
INSERT INTO merge_contact_writes (person_id) SELECT person_id FROM updated;

WITH deleted AS (
    DELETE FROM church.emails t
     USING merge_contact_pairs c
     WHERE c.kind = 'email' AND c.action = 'delete' AND t.id = c.local_id
    RETURNING t.person_id
)
INSERT INTO merge_contact_writes (person_id) SELECT person_id FROM deleted;
