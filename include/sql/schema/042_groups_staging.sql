-- Staging for groups, calendar and Services teams: raw records per run, as 030 does for
-- people. Memberships and team assignments are read per group / team; `record` carries the
-- resource plus "fetched_for" (the group or team it was listed under).
CREATE TABLE IF NOT EXISTS pco_staging.groups (
    run_id text NOT NULL, pco_id text NOT NULL, pco_updated_at timestamptz,
    record jsonb NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, pco_id));
CREATE TABLE IF NOT EXISTS pco_staging.group_memberships (
    run_id text NOT NULL, pco_id text NOT NULL, pco_updated_at timestamptz,
    record jsonb NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, pco_id));
CREATE TABLE IF NOT EXISTS pco_staging.events (
    run_id text NOT NULL, pco_id text NOT NULL, pco_updated_at timestamptz,
    record jsonb NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, pco_id));
CREATE TABLE IF NOT EXISTS pco_staging.event_instances (
    run_id text NOT NULL, pco_id text NOT NULL, pco_updated_at timestamptz,
    record jsonb NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, pco_id));
CREATE TABLE IF NOT EXISTS pco_staging.teams (
    run_id text NOT NULL, pco_id text NOT NULL, pco_updated_at timestamptz,
    record jsonb NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, pco_id));
CREATE TABLE IF NOT EXISTS pco_staging.team_assignments (
    run_id text NOT NULL, pco_id text NOT NULL, pco_updated_at timestamptz,
    record jsonb NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, pco_id));

-- How each per-group (per-team) list read went. Only 'ok' lets the merge derive joins and
-- leaves for that group: 'failed' (PCO kept failing), 'empty' (nobody listed while PCO's
-- count or our side says there are members), 'short' (under half of PCO's own count)
-- leave the group untouched until a later snapshot reads it properly.
CREATE TABLE IF NOT EXISTS pco_staging.fetches (
    run_id         text        NOT NULL,
    stream         text        NOT NULL,
    parent_pco_id  text        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('ok', 'failed', 'empty', 'short')),
    records        integer     NOT NULL,
    expected       integer,    -- what PCO said the group holds (memberships_count)
    requests       integer     NOT NULL,
    detail         text,
    fetched_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, stream, parent_pco_id)
);

-- Linked records a full snapshot did not list and a direct GET then answered 404: the only
-- evidence the merge accepts that PCO deleted something (offset paging is not a snapshot).
CREATE TABLE IF NOT EXISTS pco_staging.gone (
    run_id        text        NOT NULL,
    stream        text        NOT NULL,
    pco_id        text        NOT NULL,
    confirmed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, stream, pco_id)
);

-- Memberships of people the church database does not have yet (not synced, quarantined,
-- in match review): kept from their group's latest snapshot and joined by a later run once
-- the person is there. The group's next snapshot replaces its rows.
CREATE TABLE IF NOT EXISTS pco_staging.waiting_memberships (
    kind               text NOT NULL CHECK (kind IN ('Group', 'Team')),
    group_pco_id       text NOT NULL,
    person_pco_id      text NOT NULL,
    membership_pco_id  text NOT NULL,
    role               text NOT NULL,
    joined_at          date,
    positions          text[],
    run_id             text NOT NULL,   -- the snapshot it was (last changed) in
    PRIMARY KEY (kind, group_pco_id, person_pco_id)
);

-- PCO timestamps arrive as text; a malformed one must not abort the whole merge.
CREATE OR REPLACE FUNCTION sync.try_timestamptz(value text) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;
