-- Services folders and service types (issue 20): each becomes a department under "PCO
-- Services Teams", nested as PCO nests them, and each team's group goes into its service
-- type's department (include/sql/merge/teams/structure_*.sql, team_departments.sql).

-- Staging, as 042 stages teams: raw records per run.
CREATE TABLE IF NOT EXISTS pco_staging.folders (
    run_id text NOT NULL, pco_id text NOT NULL, pco_updated_at timestamptz,
    record jsonb NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, pco_id));
CREATE TABLE IF NOT EXISTS pco_staging.service_types (
    run_id text NOT NULL, pco_id text NOT NULL, pco_updated_at timestamptz,
    record jsonb NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, pco_id));
-- The clean-up finds "a newer copy of the same record" by PCO id and load time (077).
CREATE INDEX IF NOT EXISTS folders_latest_by_pco_id
    ON pco_staging.folders (pco_id, loaded_at DESC);
CREATE INDEX IF NOT EXISTS service_types_latest_by_pco_id
    ON pco_staging.service_types (pco_id, loaded_at DESC);

-- The folder or service type a department stands for (it follows renames and moves), and
-- PCO's parent folder as last merged: the department moves only when that changes in PCO,
-- so staff may put it somewhere of their own.
ALTER TABLE church.departments
    ADD COLUMN IF NOT EXISTS pco_folder_id text UNIQUE,
    ADD COLUMN IF NOT EXISTS pco_service_type_id text UNIQUE,
    ADD COLUMN IF NOT EXISTS pco_parent_folder_id text;
ALTER TABLE church.departments
    ADD CONSTRAINT departments_one_pco_thing
    CHECK (num_nonnulls(pco_group_type_id, pco_folder_id, pco_service_type_id) <= 1);

-- A team's service type (PCO's primary `service_type`) as last merged: its department
-- follows only when this changes in PCO, so staff may move a team elsewhere. The push of
-- team assignments builds its URLs from it. Filled on every live team by the next teams
-- merge, also on a database that had teams before this migration.
ALTER TABLE church.groups
    ADD COLUMN IF NOT EXISTS pco_service_type_id text;

-- What the new tables and columns mean (psql's \d+, docs/schema.md).
COMMENT ON TABLE pco_staging.folders IS 'PCO Services folders as read by each run.';
COMMENT ON TABLE pco_staging.service_types IS 'PCO Services service types as read by each run.';
COMMENT ON COLUMN church.departments.pco_folder_id IS
    'The PCO Services folder this department under "PCO Services Teams" stands for; NULL for other departments. It follows renames and moves in PCO.';
COMMENT ON COLUMN church.departments.pco_service_type_id IS
    'The PCO Services service type this department stands for (its teams are in it); NULL for other departments. It follows renames and moves in PCO.';
COMMENT ON COLUMN church.departments.pco_parent_folder_id IS
    'PCO''s parent folder of that folder or service type as last synced (NULL: the top level). Staff may move the department; the sync moves it again only when this changes in PCO.';
COMMENT ON COLUMN church.groups.pco_service_type_id IS
    'A Services team''s service type in PCO as last synced (PCO''s primary one); NULL for groups. Staff may move a team; the sync moves it again only when this changes in PCO.';
