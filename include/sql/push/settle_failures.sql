-- A failure whose write no plan wants now (the record was deleted, fixed, or linked by the
-- inbound merge) is over.
UPDATE sync.push_failures AS failures
   SET resolved_at = now()
 WHERE failures.resolved_at IS NULL
   AND failures.entity = ANY (%(entities)s)
   AND NOT (failures.entity || ' ' || failures.key || ' ' || failures.operation = ANY (%(planned)s))
