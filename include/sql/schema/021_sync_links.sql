-- The sync's memory of linked records: the agreed state (the field values both sides last
-- held in common), conflicts, match review and PCO's merge map. church.<table>.pco_id is
-- the link itself; these tables say what was agreed about it.

-- PCO dates arrive as text; an impossible one (2023-02-30) must not abort the whole merge.
CREATE OR REPLACE FUNCTION sync.try_date(value text) RETURNS date
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN value::date;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

-- Names compared by the matching ladder: trimmed, lower-case, inner spaces collapsed.
CREATE OR REPLACE FUNCTION sync.norm_name(value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT nullif(lower(btrim(regexp_replace(value, '\s+', ' ', 'g'))), '')
$$;

-- The three-way rule, per field, in one place (people, contacts and families use it).
-- pco, local and base are flat objects of the same fields as text; base NULL = nothing
-- agreed yet, so a local blank is filled from PCO and a local value PCO lacks is kept.
--   local = base            -> take PCO's value (no-op when PCO also equals base)
--   pco = base              -> keep local (the push sends it later)
--   both changed, equal     -> nothing to write; agreed = it
--   both changed, different -> conflict; local stays, agreed stays
CREATE OR REPLACE FUNCTION sync.three_way(pco jsonb, local jsonb, base jsonb)
RETURNS TABLE (field text, pco_value text, local_value text, base_value text,
               take_pco boolean, conflict boolean, agreed_value text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT v.field, v.pco_value, v.local_value, v.base_value,
           v.take_pco,
           (v.pco_value IS DISTINCT FROM v.base_value
            AND v.local_value IS DISTINCT FROM v.base_value
            AND v.pco_value IS DISTINCT FROM v.local_value) AS conflict,
           CASE WHEN v.take_pco OR v.pco_value IS NOT DISTINCT FROM v.local_value
                THEN v.pco_value ELSE v.base_value END AS agreed_value
      FROM (SELECT k.field,
                   pco ->> k.field AS pco_value,
                   local ->> k.field AS local_value,
                   base ->> k.field AS base_value,
                   (local ->> k.field IS NOT DISTINCT FROM base ->> k.field
                    AND pco ->> k.field IS DISTINCT FROM local ->> k.field) AS take_pco
              FROM jsonb_object_keys(pco) AS k(field)) v
$$;

CREATE TABLE IF NOT EXISTS sync.agreed_people (
    person_id    bigint PRIMARY KEY REFERENCES church.people (id) ON DELETE CASCADE,
    pco_id       text NOT NULL UNIQUE,
    first_name   text,
    last_name    text,
    nickname     text,
    middle_name  text,
    birthdate    date,
    gender       text,
    status       text,
    membership   text,
    child        boolean,
    agreed_at    timestamptz NOT NULL DEFAULT now()
);

-- Emails, phone numbers and addresses, keyed by PCO id (only linked contacts have an agreed
-- state). Kept after the local row is deleted: that is how a local deletion is told apart
-- from a contact PCO added since.
CREATE TABLE IF NOT EXISTS sync.agreed_contacts (
    kind       text NOT NULL CHECK (kind IN ('email', 'phone_number', 'address')),
    pco_id     text NOT NULL,
    person_id  bigint NOT NULL,
    local_id   bigint,
    fields     jsonb NOT NULL,
    agreed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, pco_id)
);
-- Incremental runs look contacts up by person (and delete by person after a local delete).
CREATE INDEX IF NOT EXISTS agreed_contacts_person ON sync.agreed_contacts (person_id);

CREATE TABLE IF NOT EXISTS sync.agreed_families (
    family_id  bigint PRIMARY KEY REFERENCES church.families (id) ON DELETE CASCADE,
    pco_id     text NOT NULL UNIQUE,
    fields     jsonb NOT NULL,   -- name, primary_contact (a PCO person id)
    agreed_at  timestamptz NOT NULL DEFAULT now()
);

-- Family membership as a set of PCO person ids both sides last agreed on.
CREATE TABLE IF NOT EXISTS sync.agreed_family_members (
    family_id      bigint NOT NULL REFERENCES church.families (id) ON DELETE CASCADE,
    person_pco_id  text NOT NULL,
    PRIMARY KEY (family_id, person_pco_id)
);

-- A field changed on both sides to different values: the local value stays until someone
-- decides. One open row per record and field; a re-run refreshes it rather than adding one.
CREATE TABLE IF NOT EXISTS sync.conflicts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity       text NOT NULL,     -- person, email, phone_number, address, family
    local_id     bigint NOT NULL,
    pco_id       text,
    field        text NOT NULL,
    base_value   text,
    pco_value    text,
    local_value  text,
    run_id       text NOT NULL,
    detected_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS conflicts_open_once
    ON sync.conflicts (entity, local_id, field) WHERE resolved_at IS NULL;

-- PCO people the ladder would not link on its own: never guess. Staff resolve a row by
-- setting church.people.pco_id on the right person (the next run links it by PCO id).
CREATE TABLE IF NOT EXISTS sync.match_review (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity       text NOT NULL DEFAULT 'person' CHECK (entity IN ('person', 'family')),
    run_id       text NOT NULL,
    pco_id       text NOT NULL,
    reason       text NOT NULL CHECK (reason IN (
                     'several local candidates',
                     'candidate already linked to another PCO person',
                     'several PCO people match the same local person')),
    candidates   bigint[] NOT NULL,   -- church.people ids (church.families ids for a family)
    payload      jsonb NOT NULL,      -- the staging record
    created_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS match_review_open_once
    ON sync.match_review (entity, pco_id) WHERE resolved_at IS NULL;

-- PCO merged two people: the removed id 404s from now on; links follow it to the kept one.
CREATE TABLE IF NOT EXISTS sync.pco_merges (
    removed_pco_id  text PRIMARY KEY,
    kept_pco_id     text NOT NULL,
    merged_at       timestamptz,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);

-- How a contact is recognised before it has a PCO id: the normalised value, per kind.
CREATE OR REPLACE FUNCTION sync.contact_key(kind text, fields jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE kind
           WHEN 'email' THEN lower(btrim(fields ->> 'address'))
           WHEN 'phone_number' THEN nullif(regexp_replace(fields ->> 'number', '\D', '', 'g'), '')
           WHEN 'address' THEN sync.norm_name(concat_ws(' ', fields ->> 'street_line_1',
                                                        fields ->> 'city', fields ->> 'zip'))
           END
$$;

-- Field objects with every value as text (or null), the form agreed states are kept in,
-- so that stored and freshly built objects compare equal when their values do.
CREATE OR REPLACE FUNCTION sync.text_fields(obj jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(key, value), '{}') FROM jsonb_each_text(obj)
$$;

-- PCO booleans as booleans; anything else (a malformed record) as NULL, not an error.
CREATE OR REPLACE FUNCTION sync.try_bool(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE lower(value) WHEN 'true' THEN true WHEN 'false' THEN false END
$$;
