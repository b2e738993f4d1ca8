-- Who may be created in PCO when the scope is "sync groups": the current members of the
-- local groups named (by name or id) in pco_sync_push_sync_groups. Param: groups.
INSERT INTO push_scope (person_id)
SELECT DISTINCT gm.person_id
  FROM church.group_memberships gm
  JOIN church.groups g ON g.id = gm.group_id
 WHERE gm.ended_at IS NULL
   AND (g.name = ANY (%(groups)s) OR g.id::text = ANY (%(groups)s));
