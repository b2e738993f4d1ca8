-- How long the migrations of this transaction wait for a table lock. Milliseconds.
SELECT set_config('lock_timeout', %(lock_ms)s, true)
