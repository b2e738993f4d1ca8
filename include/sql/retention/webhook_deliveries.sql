-- One batch of webhook deliveries merged more than %(keep_days)s days ago, deleted (pending
-- and failing ones stay: they are still to be merged).
WITH merged AS (
    SELECT d.ctid
      FROM sync.webhook_deliveries AS d
     WHERE d.processed_at < now() - make_interval(days => %(keep_days)s)
     LIMIT %(batch)s
)
DELETE FROM sync.webhook_deliveries AS deliveries
 USING merged
 WHERE deliveries.ctid = merged.ctid
