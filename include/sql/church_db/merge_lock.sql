-- Held by every merge transaction: runs of a backfill (which does not honour the DAG's
-- max_active_runs), a manual run beside a scheduled one, or a webhook drain merge one after
-- the other instead of racing to create the same people.
SELECT pg_advisory_xact_lock(7304212)
