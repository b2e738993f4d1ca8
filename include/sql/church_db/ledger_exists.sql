-- Whether this database has a migration ledger yet (a read: no lock on any church table).
SELECT to_regclass('sync.schema_migrations') IS NOT NULL AS ledger_exists
