-- A create is journaled before it is sent: a crash before its outcome was saved leaves this
-- row, and the next attempt looks in PCO before sending it again.
INSERT INTO sync.push_pending (entity, key, operation, method, path, body, run_id)
VALUES (%s, %s, %s, %s, %s, %s, current_setting('pco_sync.run_id'))
ON CONFLICT (entity, key, operation)
DO UPDATE SET run_id = excluded.run_id, sent_at = now()
