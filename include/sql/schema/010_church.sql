-- The church's own data: what its app reads and writes, and local staff edit directly.
-- Ids are bigint identities because PCO's remote_id, which will carry them, is an integer.
-- Every synced table has a nullable unique pco_id: NULL until the record is linked.

-- updated_at moves only when a row really changes, so "unchanged is not written" shows.
CREATE OR REPLACE FUNCTION church.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF ROW(NEW.*) IS DISTINCT FROM ROW(OLD.*) THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE TABLE IF NOT EXISTS church.people (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pco_id       text UNIQUE,
    first_name   text,
    last_name    text,
    nickname     text,
    middle_name  text,
    birthdate    date,
    gender       text,
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    membership   text,
    child        boolean,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS church.emails (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id   bigint NOT NULL REFERENCES church.people (id) ON DELETE CASCADE,
    address     text NOT NULL,
    location    text,
    is_primary  boolean NOT NULL DEFAULT false,
    pco_id      text UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS emails_person ON church.emails (person_id);
-- The email rung of the matching ladder compares trimmed, lower-case addresses.
CREATE INDEX IF NOT EXISTS emails_address_norm ON church.emails (lower(btrim(address)));

CREATE TABLE IF NOT EXISTS church.phone_numbers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id   bigint NOT NULL REFERENCES church.people (id) ON DELETE CASCADE,
    number      text NOT NULL,
    location    text,
    is_primary  boolean NOT NULL DEFAULT false,
    pco_id      text UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS phone_numbers_person ON church.phone_numbers (person_id);

CREATE TABLE IF NOT EXISTS church.addresses (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id      bigint NOT NULL REFERENCES church.people (id) ON DELETE CASCADE,
    street_line_1  text,
    street_line_2  text,
    city           text,
    state          text,
    zip            text,
    country_code   text,
    location       text,
    is_primary     boolean NOT NULL DEFAULT false,
    pco_id         text UNIQUE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS addresses_person ON church.addresses (person_id);

CREATE TABLE IF NOT EXISTS church.families (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pco_id              text UNIQUE,
    name                text,
    primary_contact_id  bigint REFERENCES church.people (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS church.family_members (
    family_id  bigint NOT NULL REFERENCES church.families (id) ON DELETE CASCADE,
    person_id  bigint NOT NULL REFERENCES church.people (id) ON DELETE CASCADE,
    PRIMARY KEY (family_id, person_id)
);
CREATE INDEX IF NOT EXISTS family_members_person ON church.family_members (person_id);

-- A family's address is its primary contact's primary address (PCO households carry none).
CREATE OR REPLACE VIEW church.family_addresses AS
SELECT DISTINCT ON (f.id)
       f.id AS family_id, a.street_line_1, a.street_line_2, a.city, a.state, a.zip,
       a.country_code
  FROM church.families f
  JOIN church.addresses a ON a.person_id = f.primary_contact_id
 ORDER BY f.id, a.is_primary DESC, a.id;

CREATE OR REPLACE TRIGGER people_updated_at BEFORE UPDATE ON church.people
    FOR EACH ROW EXECUTE FUNCTION church.touch_updated_at();
CREATE OR REPLACE TRIGGER emails_updated_at BEFORE UPDATE ON church.emails
    FOR EACH ROW EXECUTE FUNCTION church.touch_updated_at();
CREATE OR REPLACE TRIGGER phone_numbers_updated_at BEFORE UPDATE ON church.phone_numbers
    FOR EACH ROW EXECUTE FUNCTION church.touch_updated_at();
CREATE OR REPLACE TRIGGER addresses_updated_at BEFORE UPDATE ON church.addresses
    FOR EACH ROW EXECUTE FUNCTION church.touch_updated_at();
CREATE OR REPLACE TRIGGER families_updated_at BEFORE UPDATE ON church.families
    FOR EACH ROW EXECUTE FUNCTION church.touch_updated_at();
