-- The people scope services_active, after the merge: every linked local person whose PCO
-- person is outside the scope is listed in sync.people_out_of_scope, since the first merge
-- that found them outside (they stay here, linked, merged as before; never deleted). Back
-- in the scope, or no longer linked: off the list.
INSERT INTO sync.people_out_of_scope AS o (person_id, pco_id, run_id)
SELECT p.id, p.pco_id, current_setting('pco_sync.run_id')
  FROM church.people AS p
 WHERE p.pco_id IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM merge_people_scope AS s WHERE s.pco_id = p.pco_id)
ON CONFLICT (person_id) DO UPDATE
   SET pco_id = excluded.pco_id
 WHERE o.pco_id IS DISTINCT FROM excluded.pco_id;

DELETE FROM sync.people_out_of_scope AS o
 WHERE NOT EXISTS (SELECT 1
                     FROM church.people AS p
                    WHERE p.id = o.person_id
                      AND p.pco_id = o.pco_id
                      AND NOT EXISTS (SELECT 1 FROM merge_people_scope AS s
                                       WHERE s.pco_id = p.pco_id));
