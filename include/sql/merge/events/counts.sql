-- What the calendar merge did: (summary row, its counts). removed: events unlinked because
-- PCO deleted them, occurrences whose instance PCO dropped; skipped: instances whose event
-- is not here yet.
SELECT 'events' AS entity,
       jsonb_build_object(
           'created',      count(*) FILTER (WHERE outcome = 'created'),
           'updated',      count(*) FILTER (WHERE outcome = 'updated'),
           'unchanged',    count(*) FILTER (WHERE outcome = 'unchanged'),
           'needs_review', 0,
           'conflicts',    0,
           'removed',      count(*) FILTER (WHERE outcome = 'removed')) AS counts
  FROM merge_events
UNION ALL
SELECT 'event_occurrences',
       jsonb_build_object(
           'created',      count(*) FILTER (WHERE outcome = 'created'),
           'updated',      count(*) FILTER (WHERE outcome = 'updated'),
           'unchanged',    count(*) FILTER (WHERE outcome = 'unchanged'),
           'needs_review', 0,
           'conflicts',    0,
           'removed',      count(*) FILTER (WHERE outcome = 'removed'),
           'skipped',      count(*) FILTER (WHERE outcome = 'skipped'))
  FROM merge_occurrences;
