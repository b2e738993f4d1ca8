-- The people scope services_active (the setting pco_sync_people_scope; docs/operating.md):
-- the PCO people active in Services, from the whole read scope_read.sql chose
-- (current_setting('pco_sync.people_scope_run')):
--   a person PCO Services lists (GET /services/v2/people) and has not archived, or
--   a person holding a person team position assignment on a live team (neither deleted nor
--   archived) of that read.
-- Quarantined Services people rows are left out, as every merge leaves them out (such a
-- person may still be in through an assignment).
DROP TABLE IF EXISTS merge_people_scope;
CREATE TEMP TABLE merge_people_scope ON COMMIT DROP AS
SELECT s.pco_id
  FROM pco_staging.services_people AS s
 WHERE s.run_id = current_setting('pco_sync.people_scope_run')
   AND sync.try_bool(s.record -> 'attributes' ->> 'archived') IS NOT TRUE
   AND NOT EXISTS (SELECT 1
                     FROM sync.quarantine AS q
                    WHERE q.run_id = s.run_id
                      AND q.stream = 'services_people'
                      AND q.pco_id = s.pco_id
                      AND q.resolved_at IS NULL)
UNION
SELECT a.record -> 'relationships' -> 'person' -> 'data' ->> 'id'
  FROM pco_staging.team_assignments AS a
  JOIN pco_staging.teams AS t
    ON t.run_id = a.run_id
   AND t.pco_id = a.record -> 'fetched_for' ->> 'id'
 WHERE a.run_id = current_setting('pco_sync.people_scope_run')
   AND a.record -> 'relationships' -> 'person' -> 'data' ->> 'id' IS NOT NULL
   AND sync.try_timestamptz(t.record -> 'attributes' ->> 'deleted_at') IS NULL
   AND sync.try_timestamptz(t.record -> 'attributes' ->> 'archived_at') IS NULL;
ALTER TABLE merge_people_scope ADD PRIMARY KEY (pco_id);
ANALYZE merge_people_scope;

-- People who entered the scope: in it, linked to nobody here, not read by this run (nor
-- decided by staff, decided.sql): merged from their latest staged copy (staging keeps each
-- record's latest copy, docs/retention.md), though their People record did not change. A
-- copy with an open quarantine item, or a PCO person merged away (sync.pco_merges), is not.
DROP TABLE IF EXISTS merge_people_entering;
CREATE TEMP TABLE merge_people_entering ON COMMIT DROP AS
SELECT sc.pco_id, latest.record, latest.run_id
  FROM (SELECT sc.pco_id     -- the few unlinked ones first (OFFSET 0), then their copies
          FROM merge_people_scope AS sc
         WHERE NOT EXISTS (SELECT 1 FROM church.people AS p WHERE p.pco_id = sc.pco_id)
           AND NOT EXISTS (SELECT 1 FROM pco_staging.people AS s
                            WHERE s.run_id = current_setting('pco_sync.run_id')
                              AND s.pco_id = sc.pco_id)
           AND NOT EXISTS (SELECT 1 FROM merge_people_decided AS d WHERE d.pco_id = sc.pco_id)
           AND NOT EXISTS (SELECT 1 FROM sync.pco_merges AS m WHERE m.removed_pco_id = sc.pco_id)
        OFFSET 0) AS sc
 CROSS JOIN LATERAL (SELECT s.run_id, s.record
                       FROM pco_staging.people AS s
                      WHERE s.pco_id = sc.pco_id
                      ORDER BY s.loaded_at DESC, s.run_id DESC
                      LIMIT 1) AS latest
 WHERE NOT EXISTS (SELECT 1
                     FROM sync.quarantine AS q
                    WHERE q.run_id = latest.run_id
                      AND q.stream = 'people'
                      AND q.pco_id = sc.pco_id
                      AND q.contact_kind IS NULL
                      AND q.resolved_at IS NULL);

INSERT INTO merge_people_decided (pco_id, record)
SELECT pco_id, record FROM merge_people_entering;

-- Staff's own decisions to create a PCO person (sync.resolve_match) stand whatever the
-- scope; match.sql resolves their reviews, so they are noted before it (scope_match.sql).
DROP TABLE IF EXISTS merge_people_staff_creates;
CREATE TEMP TABLE merge_people_staff_creates ON COMMIT DROP AS
SELECT DISTINCT r.pco_id
  FROM sync.match_review AS r
 WHERE r.entity = 'person' AND r.resolved_at IS NULL AND r.decision = 'create';
