-- A batch merged: its deliveries are done, in the merge's transaction (so a delivery is
-- marked done exactly when what it asked for is in the church database).
UPDATE sync.webhook_deliveries AS w
   SET processed_at = now(), run_id = current_setting('pco_sync.run_id'),
       outcome = d.outcome, last_error = NULL
  FROM unnest(%(ids)s::bigint[], %(outcomes)s::text[]) AS d (id, outcome)
 WHERE w.id = d.id AND w.processed_at IS NULL
