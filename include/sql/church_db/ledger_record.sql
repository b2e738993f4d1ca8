-- One applied migration file.
INSERT INTO sync.schema_migrations (filename, checksum)
VALUES (%(filename)s, %(checksum)s)
ON CONFLICT (filename) DO UPDATE SET checksum = excluded.checksum, applied_at = now()
