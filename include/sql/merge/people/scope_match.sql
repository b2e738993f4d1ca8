-- The people scope services_active, after the matching ladder (match.sql): a PCO person
-- outside the scope whom the ladder matched to nobody is not created here (outcome
-- out_of_scope: neither created, nor counted, nor removed). Matching is as always: one
-- matching an unlinked local person is linked (otherwise the people push would create that
-- local person in PCO a second time), one with several candidates goes to review. Staff's
-- own decision to create stands (scope.sql). The id match.sql drew is left unused.
UPDATE merge_people AS m
   SET outcome = 'out_of_scope', person_id = NULL
 WHERE m.outcome = 'created'
   AND NOT EXISTS (SELECT 1 FROM merge_people_scope AS s WHERE s.pco_id = m.pco_id)
   AND NOT EXISTS (SELECT 1 FROM merge_people_staff_creates AS c WHERE c.pco_id = m.pco_id);

-- A person who entered the scope and needs review gets their review row, as match.sql
-- writes it for this run's records (from the latest staged copy here).
INSERT INTO sync.match_review (run_id, pco_id, reason, candidates, payload)
SELECT current_setting('pco_sync.run_id'), m.pco_id, m.reason, m.candidates, e.record
  FROM merge_people AS m
  JOIN merge_people_entering AS e ON e.pco_id = m.pco_id
 WHERE m.outcome = 'needs_review'
ON CONFLICT (entity, pco_id) WHERE resolved_at IS NULL DO UPDATE
   SET run_id = excluded.run_id,
       reason = excluded.reason,
       candidates = excluded.candidates,
       payload = excluded.payload
 WHERE (sync.match_review.reason, sync.match_review.candidates, sync.match_review.payload)
       IS DISTINCT FROM (excluded.reason, excluded.candidates, excluded.payload);
