-- Held while migrations apply: two tasks starting at once apply them one after the other.
SELECT pg_advisory_xact_lock(7304211)
