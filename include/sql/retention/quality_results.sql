-- One batch of row-check results (the Data Docs of a run) older than %(keep_days)s days,
-- deleted, outside the kept runs. Kept whatever their age: the results of a stream of a run
-- that an open quarantine item is about (the PCO Sync page links that item to them).
WITH old AS (
    SELECT r.ctid
      FROM sync.quality_results AS r
     WHERE r.validated_at < now() - make_interval(days => %(keep_days)s)
       AND NOT (r.run_id = ANY (%(kept)s))
       AND NOT EXISTS (SELECT 1
                         FROM sync.quarantine AS q
                        WHERE q.resolved_at IS NULL
                          AND q.run_id = r.run_id
                          AND q.stream = r.stream)
     LIMIT %(batch)s
)
DELETE FROM sync.quality_results AS results
 USING old
 WHERE results.ctid = old.ctid
