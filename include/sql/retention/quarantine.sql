-- One batch of quarantine rows settled more than %(keep_days)s days ago, deleted (the open
-- ones stay whatever their age: nothing is lost).
WITH settled AS (
    SELECT q.ctid
      FROM sync.quarantine AS q
     WHERE q.resolved_at < now() - make_interval(days => %(keep_days)s)
     LIMIT %(batch)s
)
DELETE FROM sync.quarantine AS quarantine
 USING settled
 WHERE quarantine.ctid = settled.ctid
