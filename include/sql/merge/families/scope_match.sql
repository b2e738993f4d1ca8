-- The people scope services_active (docs/operating.md): only PCO people active in Services
-- are created here, so a PCO household none of whose members is here is not created either
-- (outcome out_of_scope: not created, not counted), rather than a family of nobody. It is
-- created by the first households snapshot after one of its members is here. A family
-- already linked is merged as always.
UPDATE merge_families AS m
   SET outcome = 'out_of_scope', family_id = NULL
 WHERE m.outcome = 'created'
   AND NOT EXISTS (SELECT 1 FROM merge_families_stage_members AS sm
                    WHERE sm.family_pco_id = m.pco_id);
