-- A create is journaled before it is sent: a crash before its outcome was saved leaves this
-- row, and the next attempt looks in PCO before sending it again. A person's create is also
-- remembered for good (sync.sent_creates): a PCO person whose remote_id names them is theirs,
-- whatever the pull finds first (merge/people/match.sql).
WITH journaled AS (
    INSERT INTO sync.push_pending (entity, key, operation, method, path, body, run_id)
    VALUES (%s, %s, %s, %s, %s, %s, current_setting('pco_sync.run_id'))
    ON CONFLICT (entity, key, operation)
    DO UPDATE SET run_id = excluded.run_id, sent_at = now()
    RETURNING entity, key, operation, run_id
)
INSERT INTO sync.sent_creates (entity, local_id, run_id)
SELECT j.entity, j.key::bigint, j.run_id
  FROM journaled AS j
 WHERE j.entity = 'person' AND j.operation = 'create'
ON CONFLICT (entity, local_id) DO NOTHING
