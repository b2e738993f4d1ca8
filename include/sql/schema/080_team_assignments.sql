-- Services team assignments both ways (issue 20): what PCO holds for each team, position
-- and person, so the push sends a local assignment once and ends it on a local leave.
--
-- sync.team_assignments is PCO's list of person team position assignments as last seen:
-- replaced per team by each teams snapshot (merge/teams/assignments.sql) and kept in step
-- by the push (push/save_team_assignments.sql). A position a current local membership
-- lists without a row here is sent; a row whose membership ended locally is deleted in PCO.
CREATE TABLE IF NOT EXISTS sync.team_assignments (
    pco_id           text PRIMARY KEY,   -- PCO's PersonTeamPositionAssignment id
    group_id         bigint NOT NULL REFERENCES church.groups (id) ON DELETE CASCADE,
    person_pco_id    text NOT NULL,
    position_pco_id  text NOT NULL,
    seen_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS team_assignments_by_person
    ON sync.team_assignments (group_id, person_pco_id, position_pco_id);

-- An existing installation already read its teams: what its latest whole read of each team
-- listed is PCO's list (retention keeps the latest list per team), so the first push after
-- this upgrade does not take PCO's own assignments for new local ones.
INSERT INTO sync.team_assignments (pco_id, group_id, person_pco_id, position_pco_id)
SELECT DISTINCT ON (s.pco_id)
       s.pco_id, g.id,
       s.record -> 'relationships' -> 'person' -> 'data' ->> 'id',
       s.record -> 'relationships' -> 'team_position' -> 'data' ->> 'id'
  FROM (SELECT DISTINCT ON (parent_pco_id) parent_pco_id, run_id
          FROM pco_staging.fetches
         WHERE stream = 'team_assignments' AND status = 'ok'
         ORDER BY parent_pco_id, fetched_at DESC) AS latest
  JOIN pco_staging.team_assignments s
    ON s.run_id = latest.run_id AND s.record -> 'fetched_for' ->> 'id' = latest.parent_pco_id
  JOIN church.groups g
    ON g.pco_type = 'Team' AND g.pco_id = latest.parent_pco_id AND g.deleted_in_pco_at IS NULL
 WHERE s.record -> 'relationships' -> 'person' -> 'data' ->> 'id' IS NOT NULL
   AND s.record -> 'relationships' -> 'team_position' -> 'data' ->> 'id' IS NOT NULL
 ORDER BY s.pco_id
ON CONFLICT (pco_id) DO NOTHING;

-- Push failures and history name a team assignment as its membership: "Ann Lee in Band".
CREATE OR REPLACE FUNCTION sync.record_name(entity text, local_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE entity
        WHEN 'person' THEN
            (SELECT nullif(concat_ws(' ', p.first_name, p.last_name), '')
               FROM church.people AS p WHERE p.id = local_id)
        WHEN 'family' THEN
            (SELECT f.name FROM church.families AS f WHERE f.id = local_id)
        WHEN 'family_member' THEN
            (SELECT f.name FROM church.families AS f WHERE f.id = local_id)
        WHEN 'email' THEN
            (SELECT concat_ws(': ', concat_ws(' ', p.first_name, p.last_name), e.address)
               FROM church.emails AS e JOIN church.people AS p ON p.id = e.person_id
              WHERE e.id = local_id)
        WHEN 'phone_number' THEN
            (SELECT concat_ws(': ', concat_ws(' ', p.first_name, p.last_name), n.number)
               FROM church.phone_numbers AS n JOIN church.people AS p ON p.id = n.person_id
              WHERE n.id = local_id)
        WHEN 'address' THEN
            (SELECT concat_ws(': ', concat_ws(' ', p.first_name, p.last_name),
                              concat_ws(', ', a.street_line_1, a.city))
               FROM church.addresses AS a JOIN church.people AS p ON p.id = a.person_id
              WHERE a.id = local_id)
        WHEN 'group_membership' THEN
            (SELECT concat_ws(' in ', concat_ws(' ', p.first_name, p.last_name), g.name)
               FROM church.group_memberships AS m
               JOIN church.people AS p ON p.id = m.person_id
               JOIN church.groups AS g ON g.id = m.group_id
              WHERE m.id = local_id)
        WHEN 'team_assignment' THEN
            (SELECT concat_ws(' in ', concat_ws(' ', p.first_name, p.last_name), g.name)
               FROM church.group_memberships AS m
               JOIN church.people AS p ON p.id = m.person_id
               JOIN church.groups AS g ON g.id = m.group_id
              WHERE m.id = local_id)
    END
$$;
