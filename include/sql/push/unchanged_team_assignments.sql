-- Current memberships of linked people on PCO teams this push did not touch (the
-- parameter: the membership ids it touched).
SELECT count(*)
  FROM church.group_memberships AS memberships
  JOIN church.groups AS teams ON teams.id = memberships.group_id AND teams.pco_type = 'Team'
 WHERE memberships.pco_id IS NOT NULL AND memberships.ended_at IS NULL
   AND memberships.id <> ALL (%s)
