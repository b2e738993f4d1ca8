-- Current linked memberships this push did not touch (the parameter: the ids it touched).
SELECT count(*) FROM church.group_memberships AS memberships
 WHERE memberships.pco_id IS NOT NULL AND memberships.ended_at IS NULL
   AND memberships.id <> ALL (%s)
