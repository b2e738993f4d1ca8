-- Dismissals whose record changed again since (the push plans another write for it): over,
-- so that write is sent.
UPDATE sync.push_failures AS dismissed
   SET dismissed_write = NULL
 WHERE dismissed.id = ANY (%(ids)s)
