-- A journaled create its batch never reached (the push stopped before it): nothing can be
-- in PCO, so the next attempt needs no lookup, and a person's lasting record of it goes too
-- when this very journaling made it.
WITH forgotten AS (
    DELETE FROM sync.push_pending AS pending
     WHERE (pending.entity, pending.key, pending.operation) = (%s, %s, %s)
    RETURNING pending.entity, pending.key, pending.operation, pending.run_id
)
DELETE FROM sync.sent_creates AS sent
 USING forgotten AS f
 WHERE f.entity = 'person' AND f.operation = 'create'
   AND sent.entity = 'person' AND sent.local_id = f.key::bigint
   AND sent.run_id = f.run_id
