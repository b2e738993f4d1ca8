-- The migrations this database has applied, with their checksums.
SELECT applied.filename, applied.checksum
  FROM sync.schema_migrations AS applied
