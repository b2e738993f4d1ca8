-- This session's limits (pco_sync.limits): statements, and waits for a lock. Milliseconds.
SELECT set_config('statement_timeout', %(statement_ms)s, false),
       set_config('lock_timeout', %(lock_ms)s, false)
