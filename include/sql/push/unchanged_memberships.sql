-- Current linked memberships of groups (not Services teams: push/unchanged_team_
-- assignments.sql) this push did not touch (the parameter: the ids it touched).
SELECT count(*) FROM church.group_memberships AS memberships
  JOIN church.groups AS groups ON groups.id = memberships.group_id AND groups.pco_type = 'Group'
 WHERE memberships.pco_id IS NOT NULL AND memberships.ended_at IS NULL
   AND memberships.id <> ALL (%s)
