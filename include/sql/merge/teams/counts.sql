-- What the teams merge did: (summary row, its counts). Beyond the usual counts: teams
-- removed (deleted in PCO), memberships ended, memberships waiting for their person, and
-- teams whose assignments were not read properly this run (left untouched). The
-- departments of Services folders and service types have a row of their own ("updated":
-- renamed or moved in PCO).
SELECT 'services_departments' AS entity,
       jsonb_build_object(
           'created',      count(*) FILTER (WHERE outcome = 'created'),
           'updated',      count(*) FILTER (WHERE outcome = 'updated'),
           'unchanged',    count(*) FILTER (WHERE outcome = 'unchanged'),
           'needs_review', 0,
           'conflicts',    0) AS counts
  FROM merge_structure
 WHERE outcome <> 'skipped'
UNION ALL
SELECT 'teams',
       jsonb_build_object(
           'created',      count(*) FILTER (WHERE outcome = 'created'),
           'updated',      count(*) FILTER (WHERE outcome = 'updated'),
           'unchanged',    count(*) FILTER (WHERE outcome = 'unchanged'),
           'needs_review', 0,
           'conflicts',    0,
           'removed',      count(*) FILTER (WHERE outcome = 'removed')) AS counts
  FROM merge_teams
 WHERE outcome <> 'skipped'
UNION ALL
SELECT 'team_memberships',
       jsonb_build_object(
           'created',      count(*) FILTER (WHERE outcome = 'created'),
           'updated',      count(*) FILTER (WHERE outcome = 'updated'),
           'unchanged',    count(*) FILTER (WHERE outcome IN ('unchanged', 'leaving')),
           'needs_review', 0,
           'conflicts',    0,
           'ended',        (SELECT count(*) FROM merge_ms_ended),
           'waiting',      (SELECT count(*) FROM pco_staging.waiting_memberships
                             WHERE kind = 'Team'),
           'not_read',     (SELECT count(*) FROM pco_staging.fetches
                             WHERE run_id = current_setting('pco_sync.run_id')
                               AND stream = 'team_assignments' AND status <> 'ok'))
  FROM merge_ms_plan;
