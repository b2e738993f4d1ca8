-- Membership as a set of PCO person ids, three-way against the agreed set: a member PCO
-- added or removed is added or removed here, unless local staff changed that membership
-- since; local-only members (people not linked to PCO) are never touched.
DROP TABLE IF EXISTS merge_family_member_plan;
CREATE TEMP TABLE merge_family_member_plan ON COMMIT DROP AS
WITH families AS (
    SELECT family_id, pco_id FROM merge_families WHERE family_id IS NOT NULL
                                                   AND outcome <> 'needs_review'
),
pco AS (
    SELECT f.family_id, sm.person_pco_id, sm.person_id
      FROM families f
      JOIN merge_families_stage_members sm ON sm.family_pco_id = f.pco_id
),
local AS (
    SELECT f.family_id, p.pco_id AS person_pco_id, p.id AS person_id
      FROM families f
      JOIN church.family_members fm ON fm.family_id = f.family_id
      JOIN church.people p ON p.id = fm.person_id AND p.pco_id IS NOT NULL
),
agreed AS (
    SELECT f.family_id, a.person_pco_id, NULL::bigint AS person_id
      FROM families f
      JOIN sync.agreed_family_members a ON a.family_id = f.family_id
),
sides AS (
    SELECT family_id, person_pco_id,
           max(person_id) AS known_person_id,   -- from PCO's or the local side
           bool_or(side = 'pco') AS in_pco,
           bool_or(side = 'local') AS in_local,
           bool_or(side = 'agreed') AS in_agreed
      FROM (SELECT family_id, person_pco_id, person_id, 'pco' AS side FROM pco
            UNION ALL SELECT family_id, person_pco_id, person_id, 'local' FROM local
            UNION ALL SELECT family_id, person_pco_id, person_id, 'agreed' FROM agreed) x
     GROUP BY family_id, person_pco_id
),
decided AS (
    SELECT *, CASE WHEN in_local = in_agreed THEN in_pco ELSE in_local END AS member_now
      FROM sides
)
-- Only members who are people here; an agreed-only member is looked up.
SELECT d.family_id, d.person_pco_id, d.in_pco, d.in_local, d.in_agreed, d.member_now,
       coalesce(d.known_person_id, p.id) AS person_id,
       CASE WHEN in_pco = member_now THEN in_pco ELSE in_agreed END AS agreed_now
  FROM decided d
  LEFT JOIN church.people p ON d.known_person_id IS NULL AND p.pco_id = d.person_pco_id
 WHERE coalesce(d.known_person_id, p.id) IS NOT NULL;
ANALYZE merge_family_member_plan;

DROP TABLE IF EXISTS merge_family_member_writes;
CREATE TEMP TABLE merge_family_member_writes (family_id bigint) ON COMMIT DROP;

-- Families this run created cannot have members yet (nor be counted as updated): a plain
-- insert. Others may have gained the member since the plan was read.
INSERT INTO church.family_members (family_id, person_id)
SELECT x.family_id, x.person_id
  FROM merge_family_member_plan x
  JOIN merge_families m ON m.family_id = x.family_id
 WHERE x.member_now AND NOT x.in_local
   AND m.outcome = 'created';

WITH added AS (
    INSERT INTO church.family_members (family_id, person_id)
    SELECT x.family_id, x.person_id
      FROM merge_family_member_plan x
      JOIN merge_families m ON m.family_id = x.family_id
     WHERE x.member_now AND NOT x.in_local
       AND m.outcome <> 'created'
    ON CONFLICT DO NOTHING
    RETURNING family_id
)
INSERT INTO merge_family_member_writes SELECT family_id FROM added;

WITH removed AS (
    DELETE FROM church.family_members fm
     USING merge_family_member_plan x
     WHERE NOT x.member_now AND x.in_local
       AND fm.family_id = x.family_id AND fm.person_id = x.person_id
    RETURNING fm.family_id
)
INSERT INTO merge_family_member_writes SELECT family_id FROM removed;

INSERT INTO sync.agreed_family_members (family_id, person_pco_id)
SELECT family_id, person_pco_id
  FROM merge_family_member_plan
 WHERE agreed_now AND NOT in_agreed;

DELETE FROM sync.agreed_family_members a
 USING merge_family_member_plan x
 WHERE NOT x.agreed_now AND x.in_agreed
   AND a.family_id = x.family_id AND a.person_pco_id = x.person_pco_id;

UPDATE merge_families
   SET outcome = 'updated'
 WHERE outcome = 'unchanged'
   AND family_id IN (SELECT family_id FROM merge_family_member_writes);
