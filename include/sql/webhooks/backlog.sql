-- Deliveries waiting to be processed: how many, the oldest, how many have failed before,
-- and the latest error (the drain's log and the PCO Sync page).
SELECT count(*)                              AS waiting,
       min(w.received_at)                    AS oldest,
       coalesce(extract(epoch FROM now() - min(w.received_at)), 0)::float AS oldest_seconds,
       count(*) FILTER (WHERE w.tries > 0)   AS failing,
       (SELECT f.last_error FROM sync.webhook_deliveries AS f
         WHERE f.processed_at IS NULL AND f.tries > 0
         ORDER BY f.id DESC LIMIT 1)         AS last_error
  FROM sync.webhook_deliveries AS w
 WHERE w.processed_at IS NULL
