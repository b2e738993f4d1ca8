-- Create the PCO people nobody matched, then merge every linked person field by field
-- against the agreed state (sync.three_way). Only real changes are written.

-- Staff may have moved a link to another person: the old agreement no longer applies.
DELETE FROM sync.agreed_people a
 USING merge_people m
 WHERE a.pco_id = m.pco_id
   AND a.person_id IS DISTINCT FROM m.person_id;

-- The created people, under the ids match.sql drew from this column's sequence, agree on what
-- was written: PCO's values.
WITH created AS (
    INSERT INTO church.people (id, pco_id, first_name, last_name, nickname, middle_name,
                               birthdate, gender, status, membership, child)
    OVERRIDING SYSTEM VALUE
    SELECT m.person_id, s.pco_id, s.first_name, s.last_name, s.nickname, s.middle_name,
           s.birthdate, s.gender, s.status, s.membership, s.child
      FROM merge_people_stage s
      JOIN merge_people m USING (pco_id)
     WHERE m.outcome = 'created'
    RETURNING id, pco_id, first_name, last_name, nickname, middle_name, birthdate, gender,
              status, membership, child
)
INSERT INTO sync.agreed_people (person_id, pco_id, first_name, last_name, nickname,
                                middle_name, birthdate, gender, status, membership, child)
SELECT id, pco_id, first_name, last_name, nickname, middle_name, birthdate, gender,
       status, membership, child
  FROM created;

-- One row per linked person and field: PCO now, local now, agreed base, and the decision
-- (with this run's conflict policies applied: sync.three_way_settled).
-- People created above are left out: they hold PCO's values, so every field is agreed,
-- nothing is taken and no conflict is possible.
DROP TABLE IF EXISTS merge_people_fields;
CREATE TEMP TABLE merge_people_fields ON COMMIT DROP AS
-- MATERIALIZED: build each side once, not once per field reference.
WITH sides AS MATERIALIZED (
    SELECT m.person_id, m.pco_id, sync.try_timestamptz(s.updated_at) AS pco_at,
           p.updated_at AS local_at,
           jsonb_build_object(
               'first_name', s.first_name, 'last_name', s.last_name,
               'nickname', s.nickname, 'middle_name', s.middle_name,
               'birthdate', s.birthdate, 'gender', s.gender, 'status', s.status,
               'membership', s.membership, 'child', s.child) AS pco,
           jsonb_build_object(
               'first_name', p.first_name, 'last_name', p.last_name,
               'nickname', p.nickname, 'middle_name', p.middle_name,
               'birthdate', p.birthdate, 'gender', p.gender, 'status', p.status,
               'membership', p.membership, 'child', p.child) AS local,
           CASE WHEN a.person_id IS NOT NULL THEN jsonb_build_object(
               'first_name', a.first_name, 'last_name', a.last_name,
               'nickname', a.nickname, 'middle_name', a.middle_name,
               'birthdate', a.birthdate, 'gender', a.gender, 'status', a.status,
               'membership', a.membership, 'child', a.child) END AS base
      FROM merge_people m
      JOIN merge_people_stage s USING (pco_id)
      JOIN church.people p ON p.id = m.person_id
      LEFT JOIN sync.agreed_people a ON a.person_id = m.person_id
     WHERE m.outcome IN ('linked', 'link')
)
SELECT sides.person_id, sides.pco_id, f.*
  FROM sides
 CROSS JOIN LATERAL sync.three_way_settled(sides.pco, sides.local, sides.base, 'person',
                                           sides.pco_at, sides.local_at) AS f;
ANALYZE merge_people_fields (person_id, take_pco);

-- Fields changed only in PCO are taken.
WITH patch AS (
    SELECT person_id, jsonb_object_agg(field, pco_value) AS p
      FROM merge_people_fields
     WHERE take_pco
     GROUP BY person_id
),
updated AS (
    UPDATE church.people t
       SET first_name  = CASE WHEN patch.p ? 'first_name'  THEN patch.p ->> 'first_name'  ELSE t.first_name END,
           last_name   = CASE WHEN patch.p ? 'last_name'   THEN patch.p ->> 'last_name'   ELSE t.last_name END,
           nickname    = CASE WHEN patch.p ? 'nickname'    THEN patch.p ->> 'nickname'    ELSE t.nickname END,
           middle_name = CASE WHEN patch.p ? 'middle_name' THEN patch.p ->> 'middle_name' ELSE t.middle_name END,
           birthdate   = CASE WHEN patch.p ? 'birthdate'   THEN (patch.p ->> 'birthdate')::date ELSE t.birthdate END,
           gender      = CASE WHEN patch.p ? 'gender'      THEN patch.p ->> 'gender'      ELSE t.gender END,
           status      = CASE WHEN patch.p ? 'status'      THEN patch.p ->> 'status'      ELSE t.status END,
           membership  = CASE WHEN patch.p ? 'membership'  THEN patch.p ->> 'membership'  ELSE t.membership END,
           child       = CASE WHEN patch.p ? 'child'       THEN (patch.p ->> 'child')::boolean ELSE t.child END
      FROM patch
     WHERE t.id = patch.person_id
    RETURNING t.id
)
UPDATE merge_people m
   SET outcome = 'updated'
  FROM updated u
 WHERE m.person_id = u.id
   AND m.outcome IN ('linked', 'link');

-- A new link is a write even when every field already agreed.
UPDATE merge_people SET outcome = 'updated' WHERE outcome = 'link';
UPDATE merge_people SET outcome = 'unchanged' WHERE outcome = 'linked';
-- The outcomes changed: analysed again, or later steps plan on match.sql's 'linked' and
-- take 'unchanged' for no rows (a nightly whole read of 100,000 unchanged people then ran
-- a nested loop of 100,000 by 210,000 rows for hours in contacts_agreed.sql).
ANALYZE merge_people (pco_id, person_id, outcome);

-- The agreed state moves only where both sides now hold the same value.
INSERT INTO sync.agreed_people (person_id, pco_id, first_name, last_name, nickname,
                                middle_name, birthdate, gender, status, membership, child)
SELECT f.person_id, f.pco_id, r.first_name, r.last_name, r.nickname,
       r.middle_name, r.birthdate, r.gender, r.status, r.membership, r.child
  FROM (SELECT person_id, pco_id, jsonb_object_agg(field, agreed_value) AS agreed
          FROM merge_people_fields
         GROUP BY person_id, pco_id) f
 CROSS JOIN LATERAL jsonb_populate_record(NULL::sync.agreed_people, f.agreed) r
ON CONFLICT (person_id) DO UPDATE
   SET pco_id = excluded.pco_id, first_name = excluded.first_name,
       last_name = excluded.last_name, nickname = excluded.nickname,
       middle_name = excluded.middle_name, birthdate = excluded.birthdate,
       gender = excluded.gender, status = excluded.status,
       membership = excluded.membership, child = excluded.child, agreed_at = now()
 WHERE (sync.agreed_people.pco_id, sync.agreed_people.first_name,
        sync.agreed_people.last_name, sync.agreed_people.nickname,
        sync.agreed_people.middle_name, sync.agreed_people.birthdate,
        sync.agreed_people.gender, sync.agreed_people.status,
        sync.agreed_people.membership, sync.agreed_people.child)
       IS DISTINCT FROM
       (excluded.pco_id, excluded.first_name, excluded.last_name, excluded.nickname,
        excluded.middle_name, excluded.birthdate, excluded.gender, excluded.status,
        excluded.membership, excluded.child);

INSERT INTO merge_field_checks (entity, local_id, pco_id, field, conflict,
                                base_value, pco_value, local_value, policy, winner)
SELECT 'person', person_id, pco_id, field, conflict, base_value, pco_value, local_value,
       policy, winner
  FROM merge_people_fields;
