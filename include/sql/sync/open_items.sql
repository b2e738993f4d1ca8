-- What needs a person, per kind: found by this run, and open now across all runs (the
-- backlog staff work through). Read by the summarize task for the Sync summary tab.
SELECT 'conflicts' AS kind,
       count(*) FILTER (WHERE c.run_id = current_setting('pco_sync.run_id')) AS this_run,
       count(*) AS open_now
  FROM sync.conflicts AS c WHERE c.resolved_at IS NULL
UNION ALL
SELECT 'match reviews',
       count(*) FILTER (WHERE m.run_id = current_setting('pco_sync.run_id')), count(*)
  FROM sync.match_review AS m WHERE m.resolved_at IS NULL
UNION ALL
SELECT 'quarantined records',
       count(*) FILTER (WHERE q.first_run_id = current_setting('pco_sync.run_id')), count(*)
  FROM sync.quarantine AS q WHERE q.resolved_at IS NULL
UNION ALL
SELECT 'removed in PCO',
       count(*) FILTER (WHERE r.run_id = current_setting('pco_sync.run_id')), count(*)
  FROM sync.removed_in_pco AS r WHERE r.resolved_at IS NULL
UNION ALL
SELECT 'push failures',
       count(*) FILTER (WHERE f.run_id = current_setting('pco_sync.run_id')), count(*)
  FROM sync.push_failures AS f WHERE f.resolved_at IS NULL
UNION ALL
SELECT 'memberships waiting for their person',
       count(*) FILTER (WHERE w.run_id = current_setting('pco_sync.run_id')), count(*)
  FROM pco_staging.waiting_memberships AS w
