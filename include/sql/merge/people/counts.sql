-- What the people merge did: (summary row, its counts). removed: linked people this run
-- newly found gone from PCO, needs_review: open match reviews this run opened or changed
-- (a review still waiting as it was is not recounted: the summary's "open now" has it).
SELECT 'people' AS entity,
       jsonb_build_object(
           'created',      count(*) FILTER (WHERE outcome = 'created'),
           'updated',      count(*) FILTER (WHERE outcome = 'updated'),
           'unchanged',    count(*) FILTER (WHERE outcome = 'unchanged'),
           'needs_review', (SELECT count(*) FROM sync.match_review
                             WHERE entity = 'person' AND resolved_at IS NULL
                               AND run_id = current_setting('pco_sync.run_id')),
           'conflicts',    (SELECT count(*) FROM merge_field_checks WHERE conflict),
           'removed',      (SELECT count(*) FROM sync.removed_in_pco
                             WHERE entity = 'person' AND resolved_at IS NULL
                               AND run_id = current_setting('pco_sync.run_id'))) AS counts
  FROM merge_people;
