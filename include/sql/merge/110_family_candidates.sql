-- This run's PCO households, minus quarantined rows, and their members.
DROP TABLE IF EXISTS merge_families_stage;
CREATE TEMP TABLE merge_families_stage ON COMMIT DROP AS
SELECT s.pco_id,
       nullif(btrim(s.record -> 'attributes' ->> 'name'), '') AS name,
       s.record -> 'attributes' ->> 'primary_contact_id'      AS primary_contact_pco_id,
       s.record
  FROM pco_staging.households s
 WHERE s.run_id = current_setting('pco_sync.run_id')
   AND NOT EXISTS (SELECT 1
                     FROM sync.quarantine q
                    WHERE q.run_id = s.run_id
                      AND q.stream = 'households'
                      AND q.pco_id = s.pco_id);
ALTER TABLE merge_families_stage ADD PRIMARY KEY (pco_id);
ANALYZE merge_families_stage;

-- Members: the side-loaded people, or the relationship list when nothing was side-loaded.
-- Only people the church database has (linked) can be members here.
DROP TABLE IF EXISTS merge_families_stage_members;
CREATE TEMP TABLE merge_families_stage_members ON COMMIT DROP AS
WITH listed AS (
    SELECT s.pco_id AS family_pco_id, x.item ->> 'id' AS person_pco_id
      FROM merge_families_stage s
     CROSS JOIN LATERAL jsonb_array_elements(
               CASE WHEN jsonb_typeof(s.record -> 'included' -> 'people') = 'array'
                    THEN s.record -> 'included' -> 'people'
                    WHEN jsonb_typeof(s.record -> 'relationships' -> 'people' -> 'data') = 'array'
                    THEN s.record -> 'relationships' -> 'people' -> 'data'
                    ELSE '[]' END) AS x(item)
)
SELECT DISTINCT l.family_pco_id, l.person_pco_id, p.id AS person_id
  FROM listed l
  JOIN church.people p ON p.pco_id = l.person_pco_id;
ANALYZE merge_families_stage_members;

-- Match: PCO id; else the one unlinked local family that holds the household's primary
-- contact (a church that kept families before the sync). Several such: review.
DROP TABLE IF EXISTS merge_families;
CREATE TEMP TABLE merge_families (
    pco_id      text PRIMARY KEY,
    family_id   bigint,
    outcome     text NOT NULL,   -- linked, link, new, needs_review, then created/updated/unchanged
    candidates  bigint[]
) ON COMMIT DROP;

INSERT INTO merge_families (pco_id, family_id, outcome)
SELECT s.pco_id, f.id, 'linked'
  FROM merge_families_stage s
  JOIN church.families f ON f.pco_id = s.pco_id;

WITH candidates AS (
    SELECT s.pco_id, array_agg(DISTINCT f.id ORDER BY f.id) AS ids
      FROM merge_families_stage s
      JOIN church.people p ON p.pco_id = s.primary_contact_pco_id
      JOIN church.family_members fm ON fm.person_id = p.id
      JOIN church.families f ON f.id = fm.family_id AND f.pco_id IS NULL
     WHERE NOT EXISTS (SELECT 1 FROM merge_families m WHERE m.pco_id = s.pco_id)
     GROUP BY s.pco_id
),
claims AS (
    SELECT ids[1] AS family_id, count(*) AS claimants
      FROM candidates WHERE cardinality(ids) = 1 GROUP BY ids[1]
)
INSERT INTO merge_families (pco_id, family_id, outcome, candidates)
SELECT s.pco_id,
       CASE WHEN cardinality(c.ids) = 1 AND cl.claimants = 1 THEN c.ids[1] END,
       CASE WHEN c.ids IS NULL THEN 'new'
            WHEN cardinality(c.ids) = 1 AND cl.claimants = 1 THEN 'link'
            ELSE 'needs_review' END,
       c.ids
  FROM merge_families_stage s
  LEFT JOIN candidates c USING (pco_id)
  LEFT JOIN claims cl ON cardinality(c.ids) = 1 AND cl.family_id = c.ids[1]
 WHERE NOT EXISTS (SELECT 1 FROM merge_families m WHERE m.pco_id = s.pco_id);

ANALYZE merge_families;

UPDATE church.families f
   SET pco_id = m.pco_id
  FROM merge_families m
 WHERE m.outcome = 'link' AND f.id = m.family_id;

INSERT INTO sync.match_review (entity, run_id, pco_id, reason, candidates, payload)
SELECT 'family', current_setting('pco_sync.run_id'), m.pco_id, 'several local candidates',
       m.candidates, s.record
  FROM merge_families m
  JOIN merge_families_stage s USING (pco_id)
 WHERE m.outcome = 'needs_review'
ON CONFLICT (entity, pco_id) WHERE resolved_at IS NULL DO UPDATE
   SET run_id = excluded.run_id, candidates = excluded.candidates, payload = excluded.payload
 WHERE (sync.match_review.candidates, sync.match_review.payload)
       IS DISTINCT FROM (excluded.candidates, excluded.payload);

UPDATE sync.match_review r
   SET resolved_at = now()
  FROM merge_families m
 WHERE r.entity = 'family' AND r.pco_id = m.pco_id
   AND r.resolved_at IS NULL AND m.outcome <> 'needs_review';
