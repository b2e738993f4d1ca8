-- A journaled create its batch never reached (the push stopped before it): nothing can be
-- in PCO, so the next attempt needs no lookup.
DELETE FROM sync.push_pending AS pending
 WHERE (pending.entity, pending.key, pending.operation) = (%s, %s, %s)
