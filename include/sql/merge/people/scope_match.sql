-- The people scope services_active, after the matching ladder (match.sql): a PCO person
-- outside the scope whom the ladder matched to nobody is not created here (outcome
-- out_of_scope: neither created, nor counted, nor removed). Matching is as always: one
-- matching an unlinked local person is linked (otherwise the people push would create that
-- local person in PCO a second time), one with several candidates goes to review. Staff's
-- own decision to create stands (scope.sql). The id match.sql drew is left unused. Review
-- rows of people who entered the scope are written by match.sql, as for everyone.
UPDATE merge_people AS m
   SET outcome = 'out_of_scope', person_id = NULL
 WHERE m.outcome = 'created'
   AND NOT EXISTS (SELECT 1 FROM merge_people_scope AS s WHERE s.pco_id = m.pco_id)
   AND NOT EXISTS (SELECT 1 FROM merge_people_staff_creates AS c WHERE c.pco_id = m.pco_id);
