-- Staff actions (issue 11), the rest of what staff settle from SQL and the UI (which calls
-- these same functions): quarantined records, records PCO no longer has, push failures, and
-- family match reviews; with thin bulk variants. Like 070's: each action checks first and
-- raises (errors change nothing), writes one sync.resolution_log row with before and after,
-- and returns that row's id.

COMMENT ON COLUMN sync.resolution_log.action IS
    'conflict:local|pco|value, match:link|create|ignore, quarantine:dismiss, '
    'removed:keep|delete|recreate, push_failure:retry|dismiss';
COMMENT ON COLUMN sync.resolution_log.subject_id IS
    'the row the action was about: sync.conflicts, sync.match_review, sync.quarantine, '
    'sync.removed_in_pco or sync.push_failures, by action';

-- ---- Quarantined records -------------------------------------------------------------------
-- Dismissed ("take it anyway"): resolved with resolution 'dismissed', so merges (which skip
-- only open rows) take the record as it is. The row keeps the payload staff saw: the same
-- failure of an unchanged record is not quarantined again (quality/quarantine.sql), a
-- changed record is checked afresh. resolution NULL on a resolved row: PCO fixed it.
ALTER TABLE sync.quarantine
    ADD COLUMN IF NOT EXISTS resolution  text,
    ADD COLUMN IF NOT EXISTS resolved_by text;
CREATE INDEX IF NOT EXISTS quarantine_dismissed
    ON sync.quarantine (stream, pco_id, check_name) WHERE resolution = 'dismissed';

-- The church's word for what a stream's records are (the audit log's entity).
CREATE OR REPLACE FUNCTION sync.stream_entity(stream text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE stream
           WHEN 'people' THEN 'person'
           WHEN 'households' THEN 'family'
           WHEN 'groups' THEN 'group'
           WHEN 'group_memberships' THEN 'group_membership'
           WHEN 'teams' THEN 'team'
           WHEN 'team_assignments' THEN 'team_assignment'
           WHEN 'events' THEN 'event'
           WHEN 'event_instances' THEN 'event_instance'
           ELSE stream END
$$;

-- Take a quarantined record (or contact) anyway: the row resolves now, and the next run
-- that reads the record merges it as it is (people are read whole daily, households every
-- few hours; a windowed read sees it only once it changes).
CREATE OR REPLACE FUNCTION sync.dismiss_quarantine(quarantine_id bigint,
                                                   actor text DEFAULT current_user)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    q      sync.quarantine;
    log_id bigint;
BEGIN
    SELECT * INTO q FROM sync.quarantine x WHERE x.id = quarantine_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no quarantined record %', quarantine_id USING ERRCODE = 'no_data_found';
    END IF;
    IF q.resolved_at IS NOT NULL THEN
        RAISE EXCEPTION 'quarantined record % was already resolved at %', quarantine_id,
            q.resolved_at USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE sync.quarantine x
       SET resolved_at = now(), resolution = 'dismissed', resolved_by = actor
     WHERE x.id = quarantine_id;
    INSERT INTO sync.resolution_log (actor, action, entity, local_id, pco_id, field,
                                     subject_id, before, after)
    VALUES (actor, 'quarantine:dismiss', sync.stream_entity(q.stream),
            CASE q.stream
            WHEN 'people' THEN (SELECT p.id FROM church.people p WHERE p.pco_id = q.pco_id)
            WHEN 'households' THEN (SELECT f.id FROM church.families f WHERE f.pco_id = q.pco_id)
            END,
            q.pco_id, q.check_name, q.id,
            jsonb_build_object('stream', q.stream, 'contact_kind', q.contact_kind,
                               'contact_id', q.contact_id, 'detail', q.detail,
                               'run_id', q.run_id),
            jsonb_build_object('resolution', 'dismissed'))
    RETURNING id INTO log_id;
    RETURN log_id;
END $$;

CREATE OR REPLACE FUNCTION sync.dismiss_quarantines(quarantine_ids bigint[],
                                                    actor text DEFAULT current_user)
RETURNS integer
LANGUAGE sql AS $$
    SELECT count(sync.dismiss_quarantine(i, actor))::integer FROM unnest(quarantine_ids) AS i
$$;

-- ---- Records PCO no longer has -------------------------------------------------------------
-- An id for the UI to name a row by, and what staff chose. The push reads the latest row of
-- a record (people_to_create.sql, families_to_create.sql): 'keep' means never create it in
-- PCO, 'recreate' means create it whatever the push scope.
ALTER TABLE sync.removed_in_pco
    ADD COLUMN IF NOT EXISTS id          bigint GENERATED ALWAYS AS IDENTITY,
    ADD COLUMN IF NOT EXISTS resolution  text,   -- keep, delete, recreate; NULL: back in PCO
    ADD COLUMN IF NOT EXISTS resolved_by text;
CREATE UNIQUE INDEX IF NOT EXISTS removed_in_pco_id ON sync.removed_in_pco (id);
CREATE INDEX IF NOT EXISTS removed_in_pco_record ON sync.removed_in_pco (entity, local_id);

-- Close the open conflicts of a person (and their contacts) or a family: the record they
-- were about has left the sync.
CREATE OR REPLACE FUNCTION sync.close_conflicts_of(entity text, local_id bigint,
                                                   resolution text, actor text)
RETURNS void
LANGUAGE sql AS $$
    UPDATE sync.conflicts c
       SET resolved_at = now(), resolution = close_conflicts_of.resolution, resolved_by = actor
     WHERE c.resolved_at IS NULL
       AND ((c.entity = close_conflicts_of.entity AND c.local_id = close_conflicts_of.local_id)
            OR (close_conflicts_of.entity = 'person' AND (
                   (c.entity = 'email' AND c.local_id IN (
                        SELECT e.id FROM church.emails e WHERE e.person_id = close_conflicts_of.local_id))
                OR (c.entity = 'phone_number' AND c.local_id IN (
                        SELECT n.id FROM church.phone_numbers n WHERE n.person_id = close_conflicts_of.local_id))
                OR (c.entity = 'address' AND c.local_id IN (
                        SELECT a.id FROM church.addresses a WHERE a.person_id = close_conflicts_of.local_id)))))
$$;

-- A person or family as the audit log shows it (NULL: not there).
CREATE OR REPLACE FUNCTION sync.local_record(entity text, local_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT CASE entity
           WHEN 'person' THEN (SELECT to_jsonb(p) || jsonb_build_object(
                   'emails', (SELECT count(*) FROM church.emails e WHERE e.person_id = p.id),
                   'phone_numbers', (SELECT count(*) FROM church.phone_numbers n WHERE n.person_id = p.id),
                   'addresses', (SELECT count(*) FROM church.addresses a WHERE a.person_id = p.id))
                 FROM church.people p WHERE p.id = local_id)
           WHEN 'family' THEN (SELECT to_jsonb(f) || jsonb_build_object(
                   'members', (SELECT coalesce(jsonb_agg(m.person_id ORDER BY m.person_id), '[]')
                                 FROM church.family_members m WHERE m.family_id = f.id))
                 FROM church.families f WHERE f.id = local_id)
           END
$$;

-- Settle a record PCO no longer has. choice:
--   'keep'     it stays here, local only: unlinked (its contacts too), never created in PCO;
--   'delete'   deleted here: a person with their contacts, family and group memberships
--              (cascades), a family with its memberships (its people stay);
--   'recreate' unlinked as with keep, and created again in PCO by the next push (a person
--              with their contacts, whatever the push scope and email rule; a family once
--              its primary contact is in PCO).
-- Groups, teams and events are only kept (PCO owns them; they stay marked as deleted).
-- A person merged in PCO into someone linked here is not recreated: merge the two locally.
CREATE OR REPLACE FUNCTION sync.resolve_removed(removed_id bigint, choice text,
                                                actor text DEFAULT current_user)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    r       sync.removed_in_pco;
    before  jsonb;
    linked  text;
    log_id  bigint;
BEGIN
    IF choice IS NULL OR choice NOT IN ('keep', 'delete', 'recreate') THEN
        RAISE EXCEPTION 'choice must be keep, delete or recreate, not %', coalesce(choice, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO r FROM sync.removed_in_pco x WHERE x.id = removed_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no record removed in PCO with id %', removed_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF r.resolved_at IS NOT NULL THEN
        RAISE EXCEPTION 'removed % % was already resolved at %', r.entity, r.local_id,
            r.resolved_at USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF choice <> 'keep' AND r.entity NOT IN ('person', 'family') THEN
        RAISE EXCEPTION 'a % PCO no longer has is kept, not %', r.entity, choice
            USING ERRCODE = 'feature_not_supported';
    END IF;
    IF choice = 'recreate' AND r.reason LIKE 'merged in PCO%' THEN
        RAISE EXCEPTION 'person % was %: merge the two local people rather than recreate',
            r.local_id, r.reason USING ERRCODE = 'invalid_parameter_value';
    END IF;
    before := sync.local_record(r.entity, r.local_id);
    linked := before ->> 'pco_id';
    IF choice = 'recreate' AND before IS NULL THEN
        RAISE EXCEPTION 'the local % % no longer exists', r.entity, r.local_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF choice = 'recreate' AND linked IS DISTINCT FROM r.pco_id AND linked IS NOT NULL THEN
        RAISE EXCEPTION 'the local % % is linked to PCO record % now', r.entity, r.local_id,
            linked USING ERRCODE = 'invalid_parameter_value';
    END IF;

    IF r.entity IN ('person', 'family') AND before IS NOT NULL THEN
        PERFORM sync.close_conflicts_of(r.entity, r.local_id, 'removed:' || choice, actor);
    END IF;
    IF r.entity = 'person' AND before IS NOT NULL THEN
        -- What was agreed with the PCO person is void: their contacts and household
        -- memberships are gone in PCO too.
        DELETE FROM sync.agreed_contacts a WHERE a.person_id = r.local_id;
        DELETE FROM sync.agreed_family_members a WHERE a.person_pco_id = r.pco_id;
        IF choice = 'delete' THEN
            DELETE FROM church.people p WHERE p.id = r.local_id;
        ELSIF linked = r.pco_id THEN
            DELETE FROM sync.agreed_people a WHERE a.person_id = r.local_id;
            UPDATE church.people p SET pco_id = NULL WHERE p.id = r.local_id;
            UPDATE church.emails e SET pco_id = NULL WHERE e.person_id = r.local_id;
            UPDATE church.phone_numbers n SET pco_id = NULL WHERE n.person_id = r.local_id;
            UPDATE church.addresses a SET pco_id = NULL WHERE a.person_id = r.local_id;
        END IF;
    ELSIF r.entity = 'family' AND before IS NOT NULL THEN
        IF choice = 'delete' THEN
            DELETE FROM church.families f WHERE f.id = r.local_id;
        ELSIF linked = r.pco_id THEN
            DELETE FROM sync.agreed_families a WHERE a.family_id = r.local_id;
            DELETE FROM sync.agreed_family_members a WHERE a.family_id = r.local_id;
            UPDATE church.families f SET pco_id = NULL WHERE f.id = r.local_id;
        END IF;
    END IF;

    UPDATE sync.removed_in_pco x
       SET resolved_at = now(), resolution = choice, resolved_by = actor
     WHERE x.id = removed_id;
    INSERT INTO sync.resolution_log (actor, action, entity, local_id, pco_id, subject_id,
                                     before, after)
    VALUES (actor, 'removed:' || choice, r.entity, r.local_id, r.pco_id, r.id,
            jsonb_build_object('reason', r.reason, 'record', before),
            jsonb_build_object('resolution', choice,
                               'record', sync.local_record(r.entity, r.local_id)))
    RETURNING id INTO log_id;
    RETURN log_id;
END $$;

CREATE OR REPLACE FUNCTION sync.resolve_removed_records(removed_ids bigint[], choice text,
                                                        actor text DEFAULT current_user)
RETURNS integer
LANGUAGE sql AS $$
    SELECT count(sync.resolve_removed(i, choice, actor))::integer FROM unnest(removed_ids) AS i
$$;

-- ---- Push failures --------------------------------------------------------------------------
-- sent: what the failed write carried (push_results.sent; record_results.sql keeps it).
-- A dismissal stops the push from sending that very write again: dismissed_write is the
-- write ({method, path, sent}) the push skips ('dismissed by staff') while it plans the same
-- one. Once a plan wants another write of that record (the local record changed again) or
-- none at all, the dismissal ends (dismissed_write back to NULL; push/sender.py and
-- push/settle_failures.sql). resolution NULL on a resolved row: the push settled it.
ALTER TABLE sync.push_failures
    ADD COLUMN IF NOT EXISTS sent            jsonb,
    ADD COLUMN IF NOT EXISTS resolution      text,   -- dismissed
    ADD COLUMN IF NOT EXISTS resolved_by     text,
    ADD COLUMN IF NOT EXISTS dismissed_write jsonb;
CREATE INDEX IF NOT EXISTS push_failures_dismissed
    ON sync.push_failures (entity, key, operation) WHERE dismissed_write IS NOT NULL;

CREATE OR REPLACE FUNCTION sync.open_push_failure(failure_id bigint)
RETURNS sync.push_failures
LANGUAGE plpgsql AS $$
DECLARE
    f sync.push_failures;
BEGIN
    SELECT * INTO f FROM sync.push_failures x WHERE x.id = failure_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no push failure %', failure_id USING ERRCODE = 'no_data_found';
    END IF;
    IF f.resolved_at IS NOT NULL THEN
        RAISE EXCEPTION 'push failure % was already resolved at %', failure_id, f.resolved_at
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN f;
END $$;

-- Send it again with the next push, not after its backoff (the row stays open; the push
-- closes it on success, or counts another attempt).
CREATE OR REPLACE FUNCTION sync.retry_push_failure(failure_id bigint,
                                                   actor text DEFAULT current_user)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    f      sync.push_failures := sync.open_push_failure(failure_id);
    log_id bigint;
BEGIN
    UPDATE sync.push_failures x SET retry_after = now() WHERE x.id = failure_id;
    INSERT INTO sync.resolution_log (actor, action, entity, local_id, field, subject_id,
                                     before, after)
    VALUES (actor, 'push_failure:retry', f.entity, f.local_id, f.operation, f.id,
            jsonb_build_object('key', f.key, 'retry_after', f.retry_after,
                               'attempts', f.attempts, 'status', f.status, 'detail', f.detail),
            jsonb_build_object('retry_after', now()))
    RETURNING id INTO log_id;
    RETURN log_id;
END $$;

-- Stop sending this write: the failure resolves now and the push skips the same write
-- until the local record changes again (see dismissed_write above). A journal row of a
-- doubtful create stays: if the write is sent again later, PCO is looked at first.
CREATE OR REPLACE FUNCTION sync.dismiss_push_failure(failure_id bigint,
                                                     actor text DEFAULT current_user)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    f      sync.push_failures := sync.open_push_failure(failure_id);
    write  jsonb := jsonb_build_object('method', f.method, 'path', f.path, 'sent', f.sent);
    log_id bigint;
BEGIN
    UPDATE sync.push_failures x
       SET resolved_at = now(), resolution = 'dismissed', resolved_by = actor,
           dismissed_write = write
     WHERE x.id = failure_id;
    INSERT INTO sync.resolution_log (actor, action, entity, local_id, field, subject_id,
                                     before, after)
    VALUES (actor, 'push_failure:dismiss', f.entity, f.local_id, f.operation, f.id,
            jsonb_build_object('key', f.key, 'attempts', f.attempts, 'status', f.status,
                               'detail', f.detail),
            jsonb_build_object('resolution', 'dismissed', 'write', write))
    RETURNING id INTO log_id;
    RETURN log_id;
END $$;

CREATE OR REPLACE FUNCTION sync.retry_push_failures(failure_ids bigint[],
                                                    actor text DEFAULT current_user)
RETURNS integer
LANGUAGE sql AS $$
    SELECT count(sync.retry_push_failure(i, actor))::integer FROM unnest(failure_ids) AS i
$$;

CREATE OR REPLACE FUNCTION sync.dismiss_push_failures(failure_ids bigint[],
                                                      actor text DEFAULT current_user)
RETURNS integer
LANGUAGE sql AS $$
    SELECT count(sync.dismiss_push_failure(i, actor))::integer FROM unnest(failure_ids) AS i
$$;

-- ---- Family match reviews -------------------------------------------------------------------
-- A decided family review waits for the next households merge (merge/families/candidates.sql),
-- which links the household to decided_family_id or creates it, then resolves the row.
ALTER TABLE sync.match_review ADD COLUMN IF NOT EXISTS decided_family_id bigint;

-- sync.resolve_match (070) decides family reviews too: one body for both kinds, where the
-- chosen id is a church.people id for a person review and a church.families id for a
-- household review (a decided family review waits for the next households merge).
CREATE OR REPLACE FUNCTION sync.resolve_match(review_id bigint, person_id bigint,
                                              actor text DEFAULT current_user)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    r        sync.match_review;
    chosen   bigint := person_id;   -- a person or a family, after the review's entity
    held_by  text;
    choice   text := CASE WHEN person_id IS NULL THEN 'create' ELSE 'link' END;
    log_id   bigint;
BEGIN
    SELECT * INTO r FROM sync.match_review m WHERE m.id = review_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no match review %', review_id USING ERRCODE = 'no_data_found';
    END IF;
    IF r.resolved_at IS NOT NULL THEN
        RAISE EXCEPTION 'match review % was already resolved at %', review_id, r.resolved_at
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF chosen IS NOT NULL THEN
        IF NOT chosen = ANY (r.candidates) THEN
            RAISE EXCEPTION '% % is not a candidate of match review % (candidates: %)',
                r.entity, chosen, review_id, r.candidates USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF r.entity = 'family' THEN
            SELECT f.pco_id INTO held_by FROM church.families f WHERE f.id = chosen;
        ELSE
            SELECT p.pco_id INTO held_by FROM church.people p WHERE p.id = chosen;
        END IF;
        IF NOT FOUND THEN
            RAISE EXCEPTION '% % no longer exists', r.entity, chosen
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF held_by IS NOT NULL AND held_by <> r.pco_id THEN
            RAISE EXCEPTION '% % is linked to PCO % %; unlink it first', r.entity, chosen,
                CASE r.entity WHEN 'family' THEN 'household' ELSE 'person' END, held_by
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    UPDATE sync.match_review m
       SET decision = choice,
           decided_person_id = CASE WHEN r.entity = 'person' THEN chosen END,
           decided_family_id = CASE WHEN r.entity = 'family' THEN chosen END,
           decided_by = actor, decided_at = now()
     WHERE m.id = review_id;
    INSERT INTO sync.resolution_log (actor, action, entity, local_id, pco_id, subject_id,
                                     before, after)
    VALUES (actor, 'match:' || choice, r.entity, chosen, r.pco_id, r.id,
            jsonb_build_object('reason', r.reason, 'candidates', r.candidates,
                               'decision', r.decision,
                               r.entity || '_id', coalesce(r.decided_person_id, r.decided_family_id)),
            jsonb_build_object('decision', choice, r.entity || '_id', chosen))
    RETURNING id INTO log_id;
    RETURN log_id;
END $$;

-- The same for a household review only, its argument named for what it is.
CREATE OR REPLACE FUNCTION sync.resolve_family_match(review_id bigint, family_id bigint,
                                                     actor text DEFAULT current_user)
RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM sync.match_review m
                    WHERE m.id = review_id AND m.entity = 'family') THEN
        RAISE EXCEPTION 'match review % is not about a family', review_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN sync.resolve_match(review_id, family_id, actor);
END $$;

-- The same decision for many reviews: NULL creates each (the usual bulk choice), an id
-- links each to it. All or none.
CREATE OR REPLACE FUNCTION sync.resolve_matches(review_ids bigint[], person_id bigint,
                                                actor text DEFAULT current_user)
RETURNS integer
LANGUAGE sql AS $$
    SELECT count(sync.resolve_match(i, person_id, actor))::integer FROM unnest(review_ids) AS i
$$;

CREATE OR REPLACE FUNCTION sync.ignore_matches(review_ids bigint[],
                                               actor text DEFAULT current_user)
RETURNS integer
LANGUAGE sql AS $$
    SELECT count(sync.ignore_match(i, actor))::integer FROM unnest(review_ids) AS i
$$;
