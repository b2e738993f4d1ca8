-- A batch failed (PCO down, a gate, a bug): its deliveries stay pending, tried again after a
-- doubling pause (30 s, 1 min, 2 min, ... at most an hour). The error is what the task's
-- log says too; it never holds a secret.
UPDATE sync.webhook_deliveries AS w
   SET tries = w.tries + 1,
       last_error = %(error)s,
       next_try_at = now() + least(interval '30 seconds' * power(2, least(w.tries, 12)),
                                   interval '1 hour')
 WHERE w.id = ANY(%(ids)s::bigint[]) AND w.processed_at IS NULL
