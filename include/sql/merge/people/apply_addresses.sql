-- Write the address decisions: new from PCO, fields changed only in PCO, links made by
-- value, deletions PCO made to addresses nobody changed locally.

-- New from PCO, under the id contacts_compare.sql drew for it.
INSERT INTO church.addresses (id, person_id, street_line_1, street_line_2, city, state, zip,
                              country_code, location, is_primary, pco_id)
OVERRIDING SYSTEM VALUE
SELECT local_id, person_id, pco_fields ->> 'street_line_1', pco_fields ->> 'street_line_2',
       pco_fields ->> 'city', pco_fields ->> 'state', pco_fields ->> 'zip',
       pco_fields ->> 'country_code', pco_fields ->> 'location',
       (pco_fields ->> 'is_primary')::boolean, pco_id
  FROM merge_contact_pairs
 WHERE kind = 'address' AND action = 'insert';

WITH patch AS (
    SELECT local_id, coalesce(jsonb_object_agg(field, pco_value) FILTER (WHERE take_pco),
                              '{}') AS p
      FROM merge_contact_fields
     WHERE kind = 'address'
     GROUP BY local_id
),
updated AS (
    UPDATE church.addresses t
       SET street_line_1 = CASE WHEN patch.p ? 'street_line_1' THEN patch.p ->> 'street_line_1' ELSE t.street_line_1 END,
           street_line_2 = CASE WHEN patch.p ? 'street_line_2' THEN patch.p ->> 'street_line_2' ELSE t.street_line_2 END,
           city          = CASE WHEN patch.p ? 'city'          THEN patch.p ->> 'city'          ELSE t.city END,
           state         = CASE WHEN patch.p ? 'state'         THEN patch.p ->> 'state'         ELSE t.state END,
           zip           = CASE WHEN patch.p ? 'zip'           THEN patch.p ->> 'zip'           ELSE t.zip END,
           country_code  = CASE WHEN patch.p ? 'country_code'  THEN patch.p ->> 'country_code'  ELSE t.country_code END,
           location      = CASE WHEN patch.p ? 'location'      THEN patch.p ->> 'location'      ELSE t.location END,
           is_primary    = CASE WHEN patch.p ? 'is_primary'    THEN (patch.p ->> 'is_primary')::boolean ELSE t.is_primary END,
           pco_id        = c.pco_id,
           person_id     = c.person_id
      FROM merge_contact_pairs c
      JOIN patch ON patch.local_id = c.local_id
     WHERE c.kind = 'address' AND c.action = 'merge'
       AND t.id = c.local_id
       AND (patch.p <> '{}' OR t.pco_id IS DISTINCT FROM c.pco_id OR t.person_id <> c.person_id)
    RETURNING t.person_id
)
INSERT INTO merge_contact_writes (person_id) SELECT person_id FROM updated;

WITH deleted AS (
    DELETE FROM church.addresses t
     USING merge_contact_pairs c
     WHERE c.kind = 'address' AND c.action = 'delete' AND t.id = c.local_id
    RETURNING t.person_id
)
INSERT INTO merge_contact_writes (person_id) SELECT person_id FROM deleted;
