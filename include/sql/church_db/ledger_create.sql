-- The migration ledger: one row per applied file of include/sql/schema, with the SHA-256 of
-- its text, so a run applies only new files and an edited applied file is caught.
CREATE SCHEMA IF NOT EXISTS sync;
CREATE TABLE IF NOT EXISTS sync.schema_migrations (
    filename    text PRIMARY KEY,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
