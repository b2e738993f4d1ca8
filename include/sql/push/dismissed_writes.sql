-- Writes whose failure staff dismissed (sync.dismiss_push_failure) for the entities of one
-- plan: the push skips a planned write while it is the very write dismissed ({method, path,
-- sent}); a different one ends the dismissal (push/end_dismissals.sql).
SELECT dismissed.id, dismissed.entity, dismissed.key, dismissed.operation,
       dismissed.dismissed_write
  FROM sync.push_failures AS dismissed
 WHERE dismissed.dismissed_write IS NOT NULL
   AND dismissed.entity = ANY (%(entities)s)
