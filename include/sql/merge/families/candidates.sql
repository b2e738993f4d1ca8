-- This run's PCO households, minus quarantined rows and copies older than one already
-- merged (shared/outdated_copies.sql), and their members: the side-loaded people, or the
-- relationship list when nothing was side-loaded. "(SELECT ... OFFSET 0)" takes the
-- attributes and side-loads out of each (compressed) record once.
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
                      AND q.pco_id = s.pco_id
                      AND q.resolved_at IS NULL)
   -- an older copy than one already merged (shared/outdated_copies.sql)
   AND NOT EXISTS (SELECT 1 FROM merge_outdated_copies o WHERE o.pco_id = s.pco_id);
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
-- contact (a church that kept families before the sync). Several such: review. A staff
-- decision on the review (sync.resolve_family_match) outranks that: link to the chosen
-- family (still only if it exists and is free), or create.
DROP TABLE IF EXISTS merge_families;
CREATE TEMP TABLE merge_families (
    pco_id      text PRIMARY KEY,
    family_id   bigint,
    outcome     text NOT NULL,   -- linked, link, created, needs_review, ignored; then updated/unchanged
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
staff AS (
    SELECT r.pco_id, r.decision, r.decided_family_id
      FROM sync.match_review r
     WHERE r.entity = 'family' AND r.resolved_at IS NULL AND r.decision IN ('link', 'create')
),
decided AS (
    SELECT s.pco_id,
           CASE WHEN st.decision = 'create' THEN NULL
                WHEN st.decision = 'link' THEN ARRAY[st.decided_family_id]
                ELSE c.ids END AS ids
      FROM merge_families_stage s
      LEFT JOIN candidates c USING (pco_id)
      LEFT JOIN staff st USING (pco_id)
     WHERE NOT EXISTS (SELECT 1 FROM merge_families m WHERE m.pco_id = s.pco_id)
),
claims AS (
    SELECT ids[1] AS family_id, count(*) AS claimants
      FROM decided WHERE cardinality(ids) = 1 GROUP BY ids[1]
)
-- Nobody matched: created in merge.sql, under an id drawn here from church.families' sequence.
INSERT INTO merge_families (pco_id, family_id, outcome, candidates)
SELECT d.pco_id,
       CASE WHEN d.ids IS NULL
            THEN nextval((SELECT pg_get_serial_sequence('church.families', 'id')::regclass))
            WHEN cardinality(d.ids) = 1 AND cl.claimants = 1 AND free.id IS NOT NULL
            THEN d.ids[1] END,
       CASE WHEN d.ids IS NULL THEN 'created'
            WHEN cardinality(d.ids) = 1 AND cl.claimants = 1 AND free.id IS NOT NULL THEN 'link'
            ELSE 'needs_review' END,
       d.ids
  FROM decided d
  LEFT JOIN claims cl ON cardinality(d.ids) = 1 AND cl.family_id = d.ids[1]
  LEFT JOIN church.families free
    ON cardinality(d.ids) = 1 AND free.id = d.ids[1] AND free.pco_id IS NULL;

-- Staff chose to ignore this household (sync.ignore_match): no new review while the
-- candidates are the ones they saw.
UPDATE merge_families m
   SET outcome = 'ignored'
 WHERE m.outcome = 'needs_review'
   AND EXISTS (SELECT 1 FROM sync.match_review r
                WHERE r.entity = 'family' AND r.pco_id = m.pco_id AND r.decision = 'ignore'
                  AND r.candidates = m.candidates);

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
