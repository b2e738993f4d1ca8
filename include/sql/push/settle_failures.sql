-- A failure whose write no plan wants now (the record was deleted, fixed, or linked by the
-- inbound merge) is over; so is a staff dismissal of a write no plan wants now (the next
-- change of that record is sent, not skipped).
WITH dismissals_over AS (
    UPDATE sync.push_failures AS dismissed
       SET dismissed_write = NULL
     WHERE dismissed.dismissed_write IS NOT NULL
       AND dismissed.entity = ANY (%(entities)s)
       AND NOT (dismissed.entity || ' ' || dismissed.key || ' ' || dismissed.operation = ANY (%(planned)s))
)
UPDATE sync.push_failures AS failures
   SET resolved_at = now()
 WHERE failures.resolved_at IS NULL
   AND failures.entity = ANY (%(entities)s)
   AND NOT (failures.entity || ' ' || failures.key || ' ' || failures.operation = ANY (%(planned)s))
