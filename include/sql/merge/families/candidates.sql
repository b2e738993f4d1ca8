-- This run's PCO households, minus quarantined rows, and their members: the side-loaded
-- people, or the relationship list when nothing was side-loaded. "(SELECT ... OFFSET 0)"
-- takes the attributes and side-loads out of each (compressed) record once.
DROP TABLE IF EXISTS merge_families_stage;
CREATE TEMP TABLE merge_families_stage ON COMMIT DROP AS
SELECT s.pco_id,
       nullif(btrim(r.a ->> 'name'), '') AS name,
       r.a ->> 'primary_contact_id'      AS primary_contact_pco_id,
       r.a ->> 'updated_at'                       AS updated_at,   -- text, parsed where compared
       ARRAY(SELECT DISTINCT x.item ->> 'id'
               FROM jsonb_array_elements(
                        CASE WHEN jsonb_typeof(r.inc -> 'people') = 'array'
                             THEN r.inc -> 'people'
                             WHEN jsonb_typeof(s.record -> 'relationships' -> 'people' -> 'data') = 'array'
                             THEN s.record -> 'relationships' -> 'people' -> 'data'
                             ELSE '[]' END) AS x(item)) AS member_pco_ids
  FROM pco_staging.households s
 CROSS JOIN LATERAL (SELECT s.record -> 'attributes' AS a, s.record -> 'included' AS inc
                     OFFSET 0) r
 WHERE s.run_id = current_setting('pco_sync.run_id')
   AND NOT EXISTS (SELECT 1
                     FROM sync.quarantine q
                    WHERE q.run_id = s.run_id
                      AND q.stream = 'households'
                      AND q.pco_id = s.pco_id);
ALTER TABLE merge_families_stage ADD PRIMARY KEY (pco_id);
ANALYZE merge_families_stage (pco_id, primary_contact_pco_id);

-- Only people the church database has (linked) can be members here.
DROP TABLE IF EXISTS merge_families_stage_members;
CREATE TEMP TABLE merge_families_stage_members ON COMMIT DROP AS
SELECT s.pco_id AS family_pco_id, m.person_pco_id, p.id AS person_id
  FROM merge_families_stage s
 CROSS JOIN unnest(s.member_pco_ids) AS m(person_pco_id)
  JOIN church.people p ON p.pco_id = m.person_pco_id;
ANALYZE merge_families_stage_members;

-- Match: PCO id; else the one unlinked local family that holds the household's primary
-- contact (a church that kept families before the sync). Several such: review.
DROP TABLE IF EXISTS merge_families;
CREATE TEMP TABLE merge_families (
    pco_id      text PRIMARY KEY,
    family_id   bigint,
    outcome     text NOT NULL,   -- linked, link, created, needs_review; then updated/unchanged
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
-- Nobody matched: created in merge.sql, under an id drawn here from church.families' sequence.
INSERT INTO merge_families (pco_id, family_id, outcome, candidates)
SELECT s.pco_id,
       CASE WHEN c.ids IS NULL
            THEN nextval((SELECT pg_get_serial_sequence('church.families', 'id')::regclass))
            WHEN cardinality(c.ids) = 1 AND cl.claimants = 1 THEN c.ids[1] END,
       CASE WHEN c.ids IS NULL THEN 'created'
            WHEN cardinality(c.ids) = 1 AND cl.claimants = 1 THEN 'link'
            ELSE 'needs_review' END,
       c.ids
  FROM merge_families_stage s
  LEFT JOIN candidates c USING (pco_id)
  LEFT JOIN claims cl ON cardinality(c.ids) = 1 AND cl.family_id = c.ids[1]
 WHERE NOT EXISTS (SELECT 1 FROM merge_families m WHERE m.pco_id = s.pco_id);

ANALYZE merge_families (pco_id, family_id, outcome);

UPDATE church.families f
   SET pco_id = m.pco_id
  FROM merge_families m
 WHERE m.outcome = 'link' AND f.id = m.family_id;

INSERT INTO sync.match_review (entity, run_id, pco_id, reason, candidates, payload)
SELECT 'family', current_setting('pco_sync.run_id'), m.pco_id, 'several local candidates',
       m.candidates, s.record
  FROM merge_families m
  JOIN pco_staging.households s
    ON s.run_id = current_setting('pco_sync.run_id') AND s.pco_id = m.pco_id
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
