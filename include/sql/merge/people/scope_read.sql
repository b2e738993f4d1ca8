-- The people scope services_active (docs/operating.md) comes from one whole read of the teams
-- resource: this run's, when it read Services people (every check of a run ends before its
-- first merge, so a read that failed its gate never gets here), else the latest one merged
-- (sync.full_syncs). Set for the scope steps as pco_sync.people_scope_run ('' without one:
-- merge.run fails the merge saying so).
SELECT set_config('pco_sync.people_scope_run', coalesce(
           (SELECT e.run_id
              FROM pco_staging.extracts AS e
             WHERE e.run_id = current_setting('pco_sync.run_id')
               AND e.stream = 'services_people'
               AND e.mode = 'snapshot'),
           (SELECT f.run_id FROM sync.full_syncs AS f WHERE f.stream = 'services_people'),
           ''), true);
