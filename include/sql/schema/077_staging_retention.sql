-- Retention (issue 18): the clean-up keeps each record's latest staged copy and deletes the
-- copies a newer one replaced (include/sql/retention/staging.sql). Finding "a newer copy of
-- the same record" needs each staging table by PCO id and load time, as people has had
-- since migration 050.
CREATE INDEX IF NOT EXISTS households_latest_by_pco_id
    ON pco_staging.households (pco_id, loaded_at DESC);
CREATE INDEX IF NOT EXISTS person_mergers_latest_by_pco_id
    ON pco_staging.person_mergers (pco_id, loaded_at DESC);
CREATE INDEX IF NOT EXISTS groups_latest_by_pco_id
    ON pco_staging.groups (pco_id, loaded_at DESC);
CREATE INDEX IF NOT EXISTS group_memberships_latest_by_pco_id
    ON pco_staging.group_memberships (pco_id, loaded_at DESC);
CREATE INDEX IF NOT EXISTS events_latest_by_pco_id
    ON pco_staging.events (pco_id, loaded_at DESC);
CREATE INDEX IF NOT EXISTS event_instances_latest_by_pco_id
    ON pco_staging.event_instances (pco_id, loaded_at DESC);
CREATE INDEX IF NOT EXISTS teams_latest_by_pco_id
    ON pco_staging.teams (pco_id, loaded_at DESC);
CREATE INDEX IF NOT EXISTS team_assignments_latest_by_pco_id
    ON pco_staging.team_assignments (pco_id, loaded_at DESC);

-- The quarantine and the webhook inbox are cleaned by age.
CREATE INDEX IF NOT EXISTS quarantine_resolved_at
    ON sync.quarantine (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS webhook_deliveries_processed_at
    ON sync.webhook_deliveries (processed_at) WHERE processed_at IS NOT NULL;
