-- One batch of run records (which streams a run read, and how) older than %(keep_days)s
-- days, deleted, with the records of PCO's 404s of those runs, outside the kept runs and
-- runs an open quarantine item is about ("Check again" validates within its run).
WITH old AS (
    SELECT e.ctid, e.run_id, e.stream
      FROM pco_staging.extracts AS e
     WHERE e.finished_at < now() - make_interval(days => %(keep_days)s)
       AND NOT (e.run_id = ANY (%(kept)s))
       AND NOT EXISTS (SELECT 1 FROM sync.quarantine AS q
                        WHERE q.resolved_at IS NULL AND q.run_id = e.run_id)
     LIMIT %(batch)s
),
gone AS (
    DELETE FROM pco_staging.gone AS gone
     USING old
     WHERE gone.run_id = old.run_id AND gone.stream = old.stream
)
DELETE FROM pco_staging.extracts AS extracts
 USING old
 WHERE extracts.ctid = old.ctid
