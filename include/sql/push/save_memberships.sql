-- Saved outcomes of group membership writes: a join keeps the PCO membership's id (also
-- when PCO said the person was a member already and the lookup found it); a leave
-- clears it, so the row stays as history with nothing in PCO behind it.
UPDATE church.group_memberships gm
   SET pco_id = r.pco_id
  FROM push_results r
 WHERE r.entity = 'group_membership' AND r.operation = 'add' AND r.ok
   AND gm.id = r.local_id AND gm.pco_id IS NULL AND r.pco_id IS NOT NULL;

UPDATE church.group_memberships gm
   SET pco_id = NULL
  FROM push_results r
 WHERE r.entity = 'group_membership' AND r.operation = 'remove' AND r.ok
   AND gm.id = r.local_id;
