-- Saved outcomes of team assignment writes (push_results): a created (or found) assignment
-- is PCO's now, and backs its membership when nothing did; a deleted one is gone, and a
-- membership that ended with none left keeps no PCO id (history, nothing behind it).
INSERT INTO sync.team_assignments AS a (pco_id, group_id, person_pco_id, position_pco_id)
SELECT r.pco_id, (r.meta ->> 'group_id')::bigint, r.meta ->> 'person', r.meta ->> 'position'
  FROM push_results AS r
 WHERE r.entity = 'team_assignment' AND r.operation = 'add' AND r.ok AND r.pco_id IS NOT NULL
ON CONFLICT (pco_id) DO NOTHING;

UPDATE church.group_memberships AS gm
   SET pco_id = r.pco_id
  FROM push_results AS r
 WHERE r.entity = 'team_assignment' AND r.operation = 'add' AND r.ok
   AND gm.id = r.local_id AND gm.pco_id IS NULL AND r.pco_id IS NOT NULL;

DELETE FROM sync.team_assignments AS a
 USING push_results AS r
 WHERE r.entity = 'team_assignment' AND r.operation = 'remove' AND r.ok
   AND a.pco_id = r.key;

UPDATE church.group_memberships AS gm
   SET pco_id = NULL
  FROM push_results AS r
 WHERE r.entity = 'team_assignment' AND r.operation = 'remove' AND r.ok
   AND gm.id = r.local_id AND gm.ended_at IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM sync.team_assignments AS a
                    WHERE a.group_id = gm.group_id
                      AND a.person_pco_id = (SELECT p.pco_id FROM church.people AS p
                                              WHERE p.id = gm.person_id));
