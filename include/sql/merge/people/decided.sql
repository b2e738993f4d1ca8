-- PCO people staff decided to link or create (sync.resolve_match) that this run did not read:
-- merged from the review's record, so the decision takes effect on the next run, whatever
-- it reads. Few rows; they join this run's records in the three places records are read
-- (candidates.sql twice, contacts_compare.sql). Under the people scope services_active,
-- people/scope.sql adds the people who entered the scope (docs/operating.md).
DROP TABLE IF EXISTS merge_people_decided;
CREATE TEMP TABLE merge_people_decided ON COMMIT DROP AS
SELECT r.pco_id, r.payload AS record
  FROM sync.match_review r
 WHERE r.entity = 'person'
   AND r.resolved_at IS NULL
   AND r.decision IN ('link', 'create')
   AND NOT EXISTS (SELECT 1 FROM pco_staging.people s
                    WHERE s.run_id = current_setting('pco_sync.run_id') AND s.pco_id = r.pco_id);
