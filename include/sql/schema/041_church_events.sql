-- The church calendar: events and their occurrences. church.events.pco_id is the link to a
-- PCO Calendar event: the sync creates rows for PCO events (origin 'pco'); staff link an
-- event of their own with sync.link_event(event_id, pco_event_id). A linked event takes
-- PCO's title, dates (first start, last end of its occurrences) and location.

CREATE TABLE IF NOT EXISTS church.events (
    id                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pco_id                    text UNIQUE,
    origin                    text NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'pco')),
    name                      text,
    description               text,
    starts_at                 timestamptz,
    ends_at                   timestamptz,
    all_day                   boolean NOT NULL DEFAULT false,
    location                  text,
    recurrence_description    text,
    visible_in_church_center  boolean,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS church.event_occurrences (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id                bigint NOT NULL REFERENCES church.events (id) ON DELETE CASCADE,
    pco_id                  text UNIQUE,   -- the PCO event instance
    starts_at               timestamptz,
    ends_at                 timestamptz,
    all_day                 boolean NOT NULL DEFAULT false,
    location                text,
    recurrence_description  text,
    removed_in_pco_at       timestamptz,   -- PCO no longer has the instance (kept, unlinked)
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS event_occurrences_event ON church.event_occurrences (event_id);

CREATE OR REPLACE TRIGGER events_updated_at BEFORE UPDATE ON church.events
    FOR EACH ROW EXECUTE FUNCTION church.touch_updated_at();
CREATE OR REPLACE TRIGGER event_occurrences_updated_at BEFORE UPDATE ON church.event_occurrences
    FOR EACH ROW EXECUTE FUNCTION church.touch_updated_at();

-- Every link and unlink of a local event, by staff or by the sync, with why.
CREATE TABLE IF NOT EXISTS sync.event_links (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id  bigint NOT NULL REFERENCES church.events (id) ON DELETE CASCADE,
    pco_id    text NOT NULL,
    action    text NOT NULL CHECK (action IN ('linked', 'unlinked')),
    reason    text NOT NULL,
    run_id    text,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS event_links_event ON sync.event_links (event_id);

-- Link a local event to a PCO event. If the sync already made a row for that PCO event,
-- its occurrences move to the local event and that row goes, so one event stays.
-- PCO's title, dates and location arrive with the next run that reads the event (it
-- changes in PCO, or the daily full refresh); a row the sync made brings them at once.
CREATE OR REPLACE FUNCTION sync.link_event(local_event_id bigint, pco_event_id text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    target church.events%ROWTYPE;
    other  church.events%ROWTYPE;
BEGIN
    pco_event_id := nullif(btrim(pco_event_id), '');
    IF pco_event_id IS NULL THEN
        RAISE EXCEPTION 'sync.link_event: give the PCO event id';
    END IF;
    SELECT * INTO target FROM church.events WHERE id = local_event_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'sync.link_event: no church.events row with id %', local_event_id;
    END IF;
    IF target.pco_id = pco_event_id THEN
        RETURN target.id;
    END IF;
    IF target.pco_id IS NOT NULL THEN
        RAISE EXCEPTION 'sync.link_event: event % is linked to PCO event %; unlink it first '
                        '(sync.unlink_event(%))', target.id, target.pco_id, target.id;
    END IF;
    SELECT * INTO other FROM church.events WHERE pco_id = pco_event_id FOR UPDATE;
    IF FOUND THEN
        IF other.origin <> 'pco' THEN
            RAISE EXCEPTION 'sync.link_event: PCO event % is linked to local event %',
                            pco_event_id, other.id;
        END IF;
        UPDATE church.event_occurrences SET event_id = target.id WHERE event_id = other.id;
        DELETE FROM church.events WHERE id = other.id;
        UPDATE church.events
           SET name = other.name, starts_at = other.starts_at, ends_at = other.ends_at,
               all_day = other.all_day, location = other.location,
               recurrence_description = other.recurrence_description
         WHERE id = target.id;
    END IF;
    UPDATE church.events SET pco_id = pco_event_id WHERE id = target.id;
    UPDATE sync.removed_in_pco SET resolved_at = now()
     WHERE entity = 'event' AND local_id = target.id AND resolved_at IS NULL;
    INSERT INTO sync.event_links (event_id, pco_id, action, reason)
    VALUES (target.id, pco_event_id, 'linked', 'sync.link_event');
    RETURN target.id;
END $$;

-- Undo a link: the event and its occurrences stay, unlinked. Returns the PCO id it had.
CREATE OR REPLACE FUNCTION sync.unlink_event(local_event_id bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    was text;
BEGIN
    SELECT pco_id INTO was FROM church.events WHERE id = local_event_id FOR UPDATE;
    IF was IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE church.event_occurrences SET pco_id = NULL WHERE event_id = local_event_id;
    UPDATE church.events SET pco_id = NULL WHERE id = local_event_id;
    INSERT INTO sync.event_links (event_id, pco_id, action, reason)
    VALUES (local_event_id, was, 'unlinked', 'sync.unlink_event');
    RETURN was;
END $$;
