-- A journal row whose write no plan wants now is forgotten.
DELETE FROM sync.push_pending AS pending
 WHERE pending.entity = ANY (%(entities)s)
   AND NOT (pending.entity || ' ' || pending.key || ' ' || pending.operation = ANY (%(planned)s))
