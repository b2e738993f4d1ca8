-- Departments, groups and who belongs to them. PCO Groups land under the department
-- "PCO Groups" (one sub-department per PCO group type), Services teams under "PCO Services
-- Teams"; local departments and groups live beside them (pco_id NULL).

CREATE TABLE IF NOT EXISTS church.departments (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL,
    parent_id          bigint REFERENCES church.departments (id) ON DELETE RESTRICT,
    -- The PCO group type a sub-department of "PCO Groups" stands for (follows renames).
    pco_group_type_id  text UNIQUE,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT departments_name_once UNIQUE NULLS NOT DISTINCT (parent_id, name)
);

-- pco_type names the PCO resource behind pco_id: group and team ids are separate sequences.
CREATE TABLE IF NOT EXISTS church.groups (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pco_id             text,
    pco_type           text CHECK (pco_type IN ('Group', 'Team')),
    name               text,
    description        text,
    schedule           text,
    department_id      bigint REFERENCES church.departments (id) ON DELETE SET NULL,
    -- PCO's group type as last merged: the department follows it only when it changes in
    -- PCO, so staff may move a group to a department of their own.
    pco_group_type_id  text,
    archived_at        timestamptz,   -- archived in PCO: kept, marked
    deleted_in_pco_at  timestamptz,   -- gone from PCO (a deleted team; a group that 404s)
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT groups_pco_once UNIQUE (pco_type, pco_id),
    CONSTRAINT groups_pco_typed CHECK (pco_id IS NULL OR pco_type IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS groups_department ON church.groups (department_id);

-- A Services team's positions (Drums, Vocals, ...); memberships list the ones held.
CREATE TABLE IF NOT EXISTS church.group_positions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id    bigint NOT NULL REFERENCES church.groups (id) ON DELETE CASCADE,
    pco_id      text UNIQUE,
    name        text,
    sequence    integer,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS group_positions_group ON church.group_positions (group_id);

-- Membership history: a leave sets ended_at, never deletes, so who was in which group
-- stays. pco_id is the PCO membership backing a current row (for a team: the person's
-- first position assignment); NULL for a local join not yet pushed, or once PCO's side
-- is gone.
CREATE TABLE IF NOT EXISTS church.group_memberships (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id    bigint NOT NULL REFERENCES church.groups (id) ON DELETE CASCADE,
    person_id   bigint NOT NULL REFERENCES church.people (id) ON DELETE CASCADE,
    role        text NOT NULL DEFAULT 'member' CHECK (role IN ('leader', 'member')),
    joined_at   date,
    ended_at    date,             -- NULL: a current membership
    pco_id      text,
    positions   text[],           -- Services team positions held (teams only)
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS group_memberships_current_once
    ON church.group_memberships (group_id, person_id) WHERE ended_at IS NULL;
CREATE INDEX IF NOT EXISTS group_memberships_person ON church.group_memberships (person_id);
CREATE INDEX IF NOT EXISTS group_memberships_pco
    ON church.group_memberships (pco_id) WHERE pco_id IS NOT NULL;

CREATE OR REPLACE TRIGGER departments_updated_at BEFORE UPDATE ON church.departments
    FOR EACH ROW EXECUTE FUNCTION church.touch_updated_at();
CREATE OR REPLACE TRIGGER groups_updated_at BEFORE UPDATE ON church.groups
    FOR EACH ROW EXECUTE FUNCTION church.touch_updated_at();
CREATE OR REPLACE TRIGGER group_positions_updated_at BEFORE UPDATE ON church.group_positions
    FOR EACH ROW EXECUTE FUNCTION church.touch_updated_at();
CREATE OR REPLACE TRIGGER group_memberships_updated_at BEFORE UPDATE ON church.group_memberships
    FOR EACH ROW EXECUTE FUNCTION church.touch_updated_at();
