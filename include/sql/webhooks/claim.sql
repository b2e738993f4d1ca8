-- The next batch to process: pending deliveries that are due, new ones before retried ones
-- (a delivery that keeps failing never holds back the others), oldest first.
SELECT w.id, w.name, w.pco_type, w.pco_id, w.payload
  FROM sync.webhook_deliveries AS w
 WHERE w.processed_at IS NULL AND w.next_try_at <= now()
 ORDER BY w.tries > 0, w.id
 LIMIT %(limit)s
