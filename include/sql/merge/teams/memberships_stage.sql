-- Team memberships from person-team-position assignments, in the shape shared/memberships_apply.sql takes: one
-- row per team and person, with the positions they hold, the earliest assignment as the
-- backing PCO id and its date as the join date. Services has no member roles here.
SELECT set_config('pco_sync.membership_kind', 'Team', true);

DROP TABLE IF EXISTS merge_ms_scope;
CREATE TEMP TABLE merge_ms_scope ON COMMIT DROP AS
SELECT g.id AS group_id, g.pco_id AS group_pco_id, false AS gone
  FROM church.groups g
  JOIN pco_staging.fetches f
    ON f.run_id = current_setting('pco_sync.run_id') AND f.stream = 'team_assignments'
   AND f.parent_pco_id = g.pco_id AND f.status = 'ok'
 WHERE g.pco_type = 'Team' AND g.deleted_in_pco_at IS NULL
UNION ALL
SELECT m.group_id, m.pco_id, true
  FROM merge_teams m
 WHERE m.outcome = 'removed';
ALTER TABLE merge_ms_scope ADD PRIMARY KEY (group_id);

DROP TABLE IF EXISTS merge_ms_staged;
CREATE TEMP TABLE merge_ms_staged ON COMMIT DROP AS
SELECT sc.group_id,
       s.pco_id                                                              AS membership_pco_id,
       s.record -> 'relationships' -> 'person' -> 'data' ->> 'id'            AS person_pco_id,
       s.record -> 'relationships' -> 'team_position' -> 'data' ->> 'id'     AS position_pco_id,
       (sync.try_timestamptz(s.record -> 'attributes' ->> 'created_at')
            AT TIME ZONE 'UTC')::date                                        AS joined_at,
       NOT EXISTS (SELECT 1 FROM sync.quarantine q
                    WHERE q.run_id = s.run_id AND q.stream = 'team_assignments'
                      AND q.pco_id = s.pco_id AND q.resolved_at IS NULL)     AS passing
  FROM pco_staging.team_assignments s
  JOIN merge_ms_scope sc
    ON sc.group_pco_id = s.record -> 'fetched_for' ->> 'id' AND NOT sc.gone
 WHERE s.run_id = current_setting('pco_sync.run_id');

DROP TABLE IF EXISTS merge_ms_present;
CREATE TEMP TABLE merge_ms_present ON COMMIT DROP AS
SELECT DISTINCT group_id, membership_pco_id, person_pco_id FROM merge_ms_staged;

DROP TABLE IF EXISTS merge_ms_snapshot;
CREATE TEMP TABLE merge_ms_snapshot ON COMMIT DROP AS
SELECT st.group_id, st.person_pco_id, p.id AS person_id,
       (array_agg(st.membership_pco_id
                  ORDER BY length(st.membership_pco_id), st.membership_pco_id))[1]
                                                                 AS membership_pco_id,
       'member'::text                                            AS role,
       min(st.joined_at)                                         AS joined_at,
       coalesce(array_agg(DISTINCT gp.name ORDER BY gp.name)
                    FILTER (WHERE gp.name IS NOT NULL), '{}')    AS positions
  FROM merge_ms_staged st
  LEFT JOIN church.people p ON p.pco_id = st.person_pco_id
  LEFT JOIN church.group_positions gp ON gp.pco_id = st.position_pco_id
 WHERE st.passing
 GROUP BY st.group_id, st.person_pco_id, p.id;
ANALYZE merge_ms_snapshot;
