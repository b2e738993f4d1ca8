-- Staff decisions (issue 11): conflicts and match reviews settled from SQL (the UI calls the
-- same functions), each one written to an audit log. A decision is about the agreed state:
-- "keep local" sets agreed to PCO's value so the push sends the local one; "take PCO" writes
-- PCO's value locally and agrees on it; either way the conflict closes and stays closed
-- until a side changes again (the merge's three-way compare then sees only one side moved).

-- Who settled what, when, and the values before and after. subject_id is the
-- sync.conflicts or sync.match_review row the action was about.
CREATE TABLE IF NOT EXISTS sync.resolution_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,   -- conflict:local|pco|value, match:link|create|ignore
    entity      text NOT NULL,   -- person, email, phone_number, address, family
    local_id    bigint,
    pco_id      text,
    field       text,
    subject_id  bigint NOT NULL,
    before      jsonb,
    after       jsonb
);
CREATE INDEX IF NOT EXISTS resolution_log_record ON sync.resolution_log (entity, local_id);
CREATE INDEX IF NOT EXISTS resolution_log_pco ON sync.resolution_log (entity, pco_id);

ALTER TABLE sync.conflicts ADD COLUMN IF NOT EXISTS resolution text;   -- NULL: the merge saw it end
ALTER TABLE sync.conflicts ADD COLUMN IF NOT EXISTS resolved_by text;

-- A staff decision on a person review waits here until the merge applies it (match.sql):
-- link (to decided_person_id) or create; the merge then resolves the row. ignore resolves
-- the row at once, and the merge stays quiet about that PCO person while the reason and
-- candidates are what staff saw.
ALTER TABLE sync.match_review ADD COLUMN IF NOT EXISTS decision text
    CHECK (decision IN ('link', 'create', 'ignore'));
ALTER TABLE sync.match_review ADD COLUMN IF NOT EXISTS decided_person_id bigint;
ALTER TABLE sync.match_review ADD COLUMN IF NOT EXISTS decided_by text;
ALTER TABLE sync.match_review ADD COLUMN IF NOT EXISTS decided_at timestamptz;

-- Where each conflict entity lives locally. Contacts and families keep agreed states as
-- jsonb objects of text values; people in typed columns of sync.agreed_people.
CREATE OR REPLACE FUNCTION sync.conflict_table(entity text) RETURNS regclass
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE entity
           WHEN 'person' THEN 'church.people'::regclass
           WHEN 'email' THEN 'church.emails'::regclass
           WHEN 'phone_number' THEN 'church.phone_numbers'::regclass
           WHEN 'address' THEN 'church.addresses'::regclass
           WHEN 'family' THEN 'church.families'::regclass
           END
$$;

-- Settle one open conflict. choice: 'local' (keep the local value; the next push sends it),
-- 'pco' (take PCO's value locally now), 'value' (write `value` locally now; the next push
-- sends it). A family's primary_contact is a PCO person id on PCO's side; a typed value for
-- it is a church.people id. A contact PCO deleted ('deleted in PCO'): 'local' keeps the
-- contact and creates it again in PCO, 'pco' deletes it locally.
-- Returns the sync.resolution_log id. Errors change nothing.
CREATE OR REPLACE FUNCTION sync.resolve_conflict(conflict_id bigint, choice text,
                                                 value text DEFAULT NULL,
                                                 actor text DEFAULT current_user)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    c         sync.conflicts;
    tbl       regclass;
    col_type  text;
    before    text;
    new_local text;
    log_id    bigint;
BEGIN
    IF choice IS NULL OR choice NOT IN ('local', 'pco', 'value') THEN
        RAISE EXCEPTION 'choice must be local, pco or value, not %', coalesce(choice, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (choice = 'value') <> (value IS NOT NULL) THEN
        RAISE EXCEPTION 'a value is given with choice value, and only then'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO c FROM sync.conflicts x WHERE x.id = conflict_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no conflict %', conflict_id USING ERRCODE = 'no_data_found';
    END IF;
    IF c.resolved_at IS NOT NULL THEN
        RAISE EXCEPTION 'conflict % was already resolved at %', conflict_id, c.resolved_at
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    tbl := sync.conflict_table(c.entity);

    IF c.field = 'deleted in PCO' THEN
        IF choice = 'value' THEN
            RAISE EXCEPTION 'a contact PCO deleted is kept (local) or deleted (pco), not typed'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        DELETE FROM sync.agreed_contacts a WHERE a.kind = c.entity AND a.pco_id = c.pco_id;
        IF choice = 'local' THEN   -- no PCO id, no agreement: the push creates it again
            EXECUTE format('UPDATE %s SET pco_id = NULL WHERE id = $1', tbl) USING c.local_id;
        ELSE
            EXECUTE format('DELETE FROM %s WHERE id = $1', tbl) USING c.local_id;
        END IF;
        new_local := CASE choice WHEN 'local' THEN c.local_value END;
        before := c.local_value;
    ELSE
        IF c.entity = 'family' AND c.field = 'primary_contact' THEN
            col_type := 'bigint';
            SELECT coalesce(p.pco_id, 'local:' || p.id) INTO before
              FROM church.families f JOIN church.people p ON p.id = f.primary_contact_id
             WHERE f.id = c.local_id;
        ELSE
            SELECT format_type(a.atttypid, a.atttypmod) INTO col_type
              FROM pg_attribute a
             WHERE a.attrelid = tbl AND a.attname = c.field AND a.attnum > 0
               AND NOT a.attisdropped;
            EXECUTE format('SELECT %I::text FROM %s WHERE id = $1', c.field, tbl)
               INTO before USING c.local_id;
        END IF;
        EXECUTE format('SELECT count(*) FROM %s WHERE id = $1', tbl) INTO log_id
           USING c.local_id;
        IF log_id = 0 THEN
            RAISE EXCEPTION 'the local % % of conflict % no longer exists', c.entity,
                c.local_id, conflict_id USING ERRCODE = 'no_data_found';
        END IF;

        -- The local side: PCO's value or the typed one (checked against the column's type).
        IF choice <> 'local' THEN
            new_local := CASE choice WHEN 'pco' THEN c.pco_value ELSE value END;
            IF c.entity = 'family' AND c.field = 'primary_contact' THEN
                UPDATE church.families f
                   SET primary_contact_id = CASE
                       WHEN choice = 'pco' THEN (SELECT p.id FROM church.people p
                                                  WHERE p.pco_id = c.pco_value)
                       ELSE value::bigint END
                 WHERE f.id = c.local_id;
                IF choice = 'pco' AND c.pco_value IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM church.people p WHERE p.pco_id = c.pco_value) THEN
                    RAISE EXCEPTION 'PCO''s primary contact % is not in the church database',
                        c.pco_value USING ERRCODE = 'invalid_parameter_value';
                END IF;
            ELSE
                EXECUTE format('UPDATE %s SET %I = $1::%s WHERE id = $2', tbl, c.field, col_type)
                  USING new_local, c.local_id;
            END IF;
        ELSE
            new_local := before;
        END IF;

        -- The agreed side: PCO's value, so PCO counts as unchanged and the local value
        -- (if it differs) is what the push sends.
        IF c.entity = 'person' THEN
            EXECUTE format('UPDATE sync.agreed_people SET %I = $1::%s, agreed_at = now() '
                           'WHERE person_id = $2', c.field, col_type)
              USING c.pco_value, c.local_id;
        ELSIF c.entity = 'family' THEN
            UPDATE sync.agreed_families a
               SET fields = a.fields || jsonb_build_object(c.field, c.pco_value), agreed_at = now()
             WHERE a.family_id = c.local_id;
        ELSE
            UPDATE sync.agreed_contacts a
               SET fields = a.fields || jsonb_build_object(c.field, c.pco_value), agreed_at = now()
             WHERE a.kind = c.entity AND a.pco_id = c.pco_id;
        END IF;
    END IF;

    UPDATE sync.conflicts x
       SET resolved_at = now(), resolution = choice, resolved_by = actor
     WHERE x.id = conflict_id;
    INSERT INTO sync.resolution_log (actor, action, entity, local_id, pco_id, field,
                                     subject_id, before, after)
    VALUES (actor, 'conflict:' || choice, c.entity, c.local_id, c.pco_id, c.field, c.id,
            jsonb_build_object('local', before, 'pco', c.pco_value, 'agreed', c.base_value),
            jsonb_build_object('local', new_local, 'agreed', c.pco_value))
    RETURNING id INTO log_id;
    RETURN log_id;
END $$;

-- The same choice for many conflicts (a person's, or a filtered list), all or none.
CREATE OR REPLACE FUNCTION sync.resolve_conflicts(conflict_ids bigint[], choice text,
                                                  actor text DEFAULT current_user)
RETURNS integer
LANGUAGE sql AS $$
    SELECT count(sync.resolve_conflict(i, choice, NULL, actor))::integer
      FROM unnest(conflict_ids) AS i
$$;

-- Decide an open person review: person_id one of its candidates (linked to the review's PCO
-- person by the next merge), or NULL (the PCO person is created as a new local person).
-- The row stays open until the merge applies the decision; deciding again replaces it.
CREATE OR REPLACE FUNCTION sync.resolve_match(review_id bigint, person_id bigint,
                                              actor text DEFAULT current_user)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    r       sync.match_review;
    held_by text;
    log_id  bigint;
BEGIN
    SELECT * INTO r FROM sync.match_review m WHERE m.id = review_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no match review %', review_id USING ERRCODE = 'no_data_found';
    END IF;
    IF r.resolved_at IS NOT NULL THEN
        RAISE EXCEPTION 'match review % was already resolved at %', review_id, r.resolved_at
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF r.entity <> 'person' THEN
        RAISE EXCEPTION 'match review % is about a %; only person reviews are decided here',
            review_id, r.entity USING ERRCODE = 'feature_not_supported';
    END IF;
    IF person_id IS NOT NULL THEN
        IF NOT person_id = ANY (r.candidates) THEN
            RAISE EXCEPTION 'person % is not a candidate of match review % (candidates: %)',
                person_id, review_id, r.candidates USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT p.pco_id INTO held_by FROM church.people p WHERE p.id = person_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'person % no longer exists', person_id
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF held_by IS NOT NULL AND held_by <> r.pco_id THEN
            RAISE EXCEPTION 'person % is linked to PCO person %; unlink them first',
                person_id, held_by USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    UPDATE sync.match_review m
       SET decision = CASE WHEN person_id IS NULL THEN 'create' ELSE 'link' END,
           decided_person_id = person_id, decided_by = actor, decided_at = now()
     WHERE m.id = review_id;
    INSERT INTO sync.resolution_log (actor, action, entity, local_id, pco_id, subject_id,
                                     before, after)
    VALUES (actor, CASE WHEN person_id IS NULL THEN 'match:create' ELSE 'match:link' END,
            'person', person_id, r.pco_id, r.id,
            jsonb_build_object('reason', r.reason, 'candidates', r.candidates,
                               'decision', r.decision, 'person_id', r.decided_person_id),
            jsonb_build_object('decision', CASE WHEN person_id IS NULL THEN 'create' ELSE 'link' END,
                               'person_id', person_id))
    RETURNING id INTO log_id;
    RETURN log_id;
END $$;

-- Leave the review's PCO person unsynced: the row resolves now, and the merge does not ask
-- again while the reason and candidates stay the same.
CREATE OR REPLACE FUNCTION sync.ignore_match(review_id bigint, actor text DEFAULT current_user)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    r      sync.match_review;
    log_id bigint;
BEGIN
    SELECT * INTO r FROM sync.match_review m WHERE m.id = review_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no match review %', review_id USING ERRCODE = 'no_data_found';
    END IF;
    IF r.resolved_at IS NOT NULL THEN
        RAISE EXCEPTION 'match review % was already resolved at %', review_id, r.resolved_at
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE sync.match_review m
       SET decision = 'ignore', decided_person_id = NULL, decided_by = actor,
           decided_at = now(), resolved_at = now()
     WHERE m.id = review_id;
    INSERT INTO sync.resolution_log (actor, action, entity, pco_id, subject_id, before, after)
    VALUES (actor, 'match:ignore', r.entity, r.pco_id, r.id,
            jsonb_build_object('reason', r.reason, 'candidates', r.candidates,
                               'decision', r.decision),
            jsonb_build_object('decision', 'ignore'))
    RETURNING id INTO log_id;
    RETURN log_id;
END $$;

-- A record's history of staff decisions, newest first: by local id, or by PCO id (a review
-- is about a PCO person not linked yet).
CREATE OR REPLACE FUNCTION sync.resolution_history(entity text, local_id bigint,
                                                   pco_id text DEFAULT NULL)
RETURNS SETOF sync.resolution_log
LANGUAGE sql STABLE AS $$
    SELECT l.*
      FROM sync.resolution_log l
     WHERE l.entity = resolution_history.entity
       AND (l.local_id = resolution_history.local_id
            OR l.pco_id = resolution_history.pco_id)
     ORDER BY l.at DESC, l.id DESC
$$;
