-- The groups whose memberships this run may change, and their snapshot, in the shape
-- shared/memberships_apply.sql takes (teams build the same from assignments, teams/memberships_stage.sql).
SELECT set_config('pco_sync.membership_kind', 'Group', true);

-- In scope: groups whose list was read 'ok' this run (pco_staging.fetches), and groups
-- marked gone in this transaction (everyone's membership ends). A group whose read failed,
-- came back empty or short is not in scope: nothing of it is touched.
DROP TABLE IF EXISTS merge_ms_scope;
CREATE TEMP TABLE merge_ms_scope ON COMMIT DROP AS
SELECT g.id AS group_id, g.pco_id AS group_pco_id, false AS gone
  FROM church.groups g
  JOIN pco_staging.fetches f
    ON f.run_id = current_setting('pco_sync.run_id') AND f.stream = 'group_memberships'
   AND f.parent_pco_id = g.pco_id AND f.status = 'ok'
 WHERE g.pco_type = 'Group' AND g.deleted_in_pco_at IS NULL
UNION ALL
SELECT m.group_id, m.pco_id, true
  FROM merge_groups m
 WHERE m.outcome = 'removed';
ALTER TABLE merge_ms_scope ADD PRIMARY KEY (group_id);

-- Everyone the snapshot lists, quarantined records too: a membership that failed a check
-- is still there in PCO, so it must not read as a leave.
DROP TABLE IF EXISTS merge_ms_staged;
CREATE TEMP TABLE merge_ms_staged ON COMMIT DROP AS
SELECT sc.group_id,
       s.pco_id                                                                AS membership_pco_id,
       s.record -> 'relationships' -> 'person' -> 'data' ->> 'id'              AS person_pco_id,
       lower(btrim(s.record -> 'attributes' ->> 'role'))                       AS role,
       (sync.try_timestamptz(s.record -> 'attributes' ->> 'joined_at')
            AT TIME ZONE 'UTC')::date                                          AS joined_at,
       NOT EXISTS (SELECT 1 FROM sync.quarantine q
                    WHERE q.run_id = s.run_id AND q.stream = 'group_memberships'
                      AND q.pco_id = s.pco_id AND q.resolved_at IS NULL)       AS passing
  FROM pco_staging.group_memberships s
  JOIN merge_ms_scope sc
    ON sc.group_pco_id = s.record -> 'fetched_for' ->> 'id' AND NOT sc.gone
 WHERE s.run_id = current_setting('pco_sync.run_id');

DROP TABLE IF EXISTS merge_ms_present;
CREATE TEMP TABLE merge_ms_present ON COMMIT DROP AS
SELECT DISTINCT group_id, membership_pco_id, person_pco_id FROM merge_ms_staged;

-- One row per group and person (PCO allows one membership per person per group).
DROP TABLE IF EXISTS merge_ms_snapshot;
CREATE TEMP TABLE merge_ms_snapshot ON COMMIT DROP AS
SELECT DISTINCT ON (st.group_id, st.person_pco_id)
       st.group_id, st.person_pco_id, p.id AS person_id, st.membership_pco_id, st.role,
       st.joined_at, NULL::text[] AS positions
  FROM merge_ms_staged st
  LEFT JOIN church.people p ON p.pco_id = st.person_pco_id
 WHERE st.passing
 ORDER BY st.group_id, st.person_pco_id, length(st.membership_pco_id), st.membership_pco_id;
ANALYZE merge_ms_snapshot;
