-- The push's memory: writes PCO refused (retried later with backoff) and writes that were
-- sent but whose outcome is not saved yet (a crash in between must not send them twice).
-- A record is named by (entity, key, operation): key is the church row's id as text, or
-- 'family_id/<PCO person id>' for a household member, or 'pco:<id>' for a contact deleted
-- locally (its church row is gone).

CREATE TABLE IF NOT EXISTS sync.push_failures (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity           text NOT NULL,   -- person, email, phone_number, address, family,
                                      -- family_member, group_membership
    key              text NOT NULL,
    operation        text NOT NULL,   -- create, update, delete, add, remove
    local_id         bigint,          -- the church row, for people reading this table
    method           text NOT NULL,
    path             text NOT NULL,
    status           integer,         -- PCO's HTTP status; NULL when no answer came
    detail           text NOT NULL,   -- PCO's error detail
    attempts         integer NOT NULL DEFAULT 1,
    first_failed_at  timestamptz NOT NULL DEFAULT now(),
    last_failed_at   timestamptz NOT NULL DEFAULT now(),
    retry_after      timestamptz NOT NULL,
    run_id           text NOT NULL,
    resolved_at      timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS push_failures_open_once
    ON sync.push_failures (entity, key, operation) WHERE resolved_at IS NULL;

-- Backoff before the next attempt: 15 minutes (the next scheduled run), doubling, at most
-- a day. A manual full push retries regardless.
CREATE OR REPLACE FUNCTION sync.push_backoff(attempts integer) RETURNS interval
LANGUAGE sql IMMUTABLE AS $$
    SELECT least(interval '15 minutes' * power(2, greatest(attempts, 1) - 1),
                 interval '24 hours')
$$;

-- Creates without a remote_id lookup (contacts, households), journaled before they are sent
-- and cleared with the saved result. A row left here means "maybe created": the next
-- attempt looks in PCO first.
CREATE TABLE IF NOT EXISTS sync.push_pending (
    entity     text NOT NULL,
    key        text NOT NULL,
    operation  text NOT NULL,
    method     text NOT NULL,
    path       text NOT NULL,
    body       jsonb,
    run_id     text NOT NULL,
    sent_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity, key, operation)
);

-- A PCO Person's attributes as the people merge reads them (merge/people/candidates.sql),
-- typed like sync.agreed_people, so an agreed state built from PCO's answer compares equal
-- to what the next pull brings.
CREATE OR REPLACE FUNCTION sync.pco_person_fields(a jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'first_name',  nullif(btrim(a ->> 'first_name'), ''),
        'last_name',   nullif(btrim(a ->> 'last_name'), ''),
        'nickname',    nullif(btrim(a ->> 'nickname'), ''),
        'middle_name', nullif(btrim(a ->> 'middle_name'), ''),
        'birthdate',   sync.try_date(a ->> 'birthdate'),
        'gender',      nullif(btrim(a ->> 'gender'), ''),
        'status',      CASE WHEN lower(a ->> 'status') = 'inactive' THEN 'inactive' ELSE 'active' END,
        'membership',  nullif(btrim(a ->> 'membership'), ''),
        'child',       sync.try_bool(a ->> 'child'))
$$;

-- The push compares a person's latest staged PCO record with the agreed state (a PCO edit
-- not merged yet, e.g. quarantined, must not be overwritten); staging is kept per run.
CREATE INDEX IF NOT EXISTS people_latest_by_pco_id
    ON pco_staging.people (pco_id, loaded_at DESC);

-- A PCO Email / PhoneNumber / Address as the contacts merge reads it
-- (merge/people/contacts_compare.sql), in the agreed form (sync.text_fields).
CREATE OR REPLACE FUNCTION sync.pco_contact_fields(kind text, a jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT sync.text_fields(CASE kind
        WHEN 'email' THEN jsonb_build_object(
            'address', nullif(btrim(a ->> 'address'), ''), 'location', a ->> 'location',
            'is_primary', coalesce(sync.try_bool(a ->> 'primary'), false))
        WHEN 'phone_number' THEN jsonb_build_object(
            'number', nullif(btrim(a ->> 'number'), ''), 'location', a ->> 'location',
            'is_primary', coalesce(sync.try_bool(a ->> 'primary'), false))
        WHEN 'address' THEN jsonb_build_object(
            'street_line_1', a ->> 'street_line_1', 'street_line_2', a ->> 'street_line_2',
            'city', a ->> 'city', 'state', a ->> 'state', 'zip', a ->> 'zip',
            'country_code', a ->> 'country_code', 'location', a ->> 'location',
            'is_primary', coalesce(sync.try_bool(a ->> 'primary'), false))
        END)
$$;
