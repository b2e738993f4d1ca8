-- Whether a stream still needs its first full pull (see schema/023_sync_full_syncs.sql).
SELECT NOT EXISTS (SELECT 1 FROM sync.full_syncs WHERE stream = %(stream)s) AS first_sync
