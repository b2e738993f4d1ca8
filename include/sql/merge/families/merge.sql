-- Create unmatched households as families, then merge name and primary contact of every
-- linked family against the agreed state. The primary contact is compared as a PCO person
-- id, and only when that person is in the church database (else it could not be written).
DELETE FROM sync.agreed_families a
 USING merge_families m
 WHERE a.pco_id = m.pco_id AND a.family_id IS DISTINCT FROM m.family_id;

-- The created families, under the ids candidates.sql drew from this column's sequence, agree on PCO's
-- side as compared below: the name, and the primary contact when that person is here.
WITH created AS (
    INSERT INTO church.families (id, pco_id, name, primary_contact_id)
    OVERRIDING SYSTEM VALUE
    SELECT m.family_id, s.pco_id, s.name, p.id
      FROM merge_families_stage s
      JOIN merge_families m USING (pco_id)
      LEFT JOIN church.people p ON p.pco_id = s.primary_contact_pco_id
     WHERE m.outcome = 'created'
    RETURNING id, pco_id, name, primary_contact_id
)
INSERT INTO sync.agreed_families (family_id, pco_id, fields)
SELECT c.id, c.pco_id,
       jsonb_build_object('name', c.name)
         || CASE WHEN c.primary_contact_id IS NOT NULL
                 THEN jsonb_build_object('primary_contact', s.primary_contact_pco_id)
                 ELSE '{}' END
  FROM created c
  JOIN merge_families_stage s USING (pco_id);

-- One row per linked family and field. Families created above are left out: they hold
-- PCO's values, so every field is agreed and none can conflict.
DROP TABLE IF EXISTS merge_family_fields;
CREATE TEMP TABLE merge_family_fields ON COMMIT DROP AS
-- MATERIALIZED: build each side once, not once per field reference.
WITH sides AS MATERIALIZED (
    SELECT m.family_id, m.pco_id, sync.try_timestamptz(s.updated_at) AS pco_at,
           f.updated_at AS local_at,
           jsonb_build_object('name', s.name)
             || CASE WHEN pc.id IS NOT NULL
                     THEN jsonb_build_object('primary_contact', pc.pco_id)
                     ELSE '{}' END AS pco,
           jsonb_build_object('name', f.name,
                              'primary_contact', coalesce(lc.pco_id, 'local:' || lc.id)) AS local,
           a.fields AS base
      FROM merge_families m
      JOIN merge_families_stage s USING (pco_id)
      JOIN church.families f ON f.id = m.family_id
      LEFT JOIN church.people pc ON pc.pco_id = s.primary_contact_pco_id
      LEFT JOIN church.people lc ON lc.id = f.primary_contact_id
      LEFT JOIN sync.agreed_families a ON a.family_id = m.family_id
     WHERE m.outcome IN ('linked', 'link')
)
SELECT sides.family_id, sides.pco_id, f.*
  FROM sides
 CROSS JOIN LATERAL sync.three_way_settled(sides.pco, sides.local, sides.base, 'family',
                                           sides.pco_at, sides.local_at) AS f;
ANALYZE merge_family_fields (family_id, take_pco);

WITH patch AS (
    SELECT family_id, jsonb_object_agg(field, pco_value) AS p
      FROM merge_family_fields
     WHERE take_pco
     GROUP BY family_id
),
updated AS (
    UPDATE church.families t
       SET name = CASE WHEN patch.p ? 'name' THEN patch.p ->> 'name' ELSE t.name END,
           primary_contact_id = CASE WHEN patch.p ? 'primary_contact'
               THEN (SELECT p.id FROM church.people p WHERE p.pco_id = patch.p ->> 'primary_contact')
               ELSE t.primary_contact_id END
      FROM patch
     WHERE t.id = patch.family_id
    RETURNING t.id
)
UPDATE merge_families m
   SET outcome = 'updated'
  FROM updated u
 WHERE m.family_id = u.id AND m.outcome IN ('linked', 'link');

UPDATE merge_families SET outcome = 'updated' WHERE outcome = 'link';
UPDATE merge_families SET outcome = 'unchanged' WHERE outcome = 'linked';
-- The outcomes changed: analysed again for the steps after (as people/merge.sql does).
ANALYZE merge_families (pco_id, family_id, outcome);

INSERT INTO sync.agreed_families (family_id, pco_id, fields)
SELECT family_id, pco_id, jsonb_object_agg(field, agreed_value)
  FROM merge_family_fields
 GROUP BY family_id, pco_id
ON CONFLICT (family_id) DO UPDATE
   SET pco_id = excluded.pco_id, fields = excluded.fields, agreed_at = now()
 WHERE (sync.agreed_families.pco_id, sync.agreed_families.fields)
       IS DISTINCT FROM (excluded.pco_id, excluded.fields);

INSERT INTO merge_field_checks (entity, local_id, pco_id, field, conflict,
                                base_value, pco_value, local_value, policy, winner)
SELECT 'family', family_id, pco_id, field, conflict, base_value, pco_value, local_value,
       policy, winner
  FROM merge_family_fields;
