-- The people scope (issue 20 item 4; the setting pco_sync_people_scope, docs/operating.md
-- "Which PCO people are synced").
--
-- Who is in PCO Services: GET /services/v2/people, read whole with the teams (stream
-- services_people). A Services person has its People person's id. Staged as 042 stages
-- teams; indexed by PCO id and load time for the clean-up's "a newer copy of the same
-- record" (077).
CREATE TABLE IF NOT EXISTS pco_staging.services_people (
    run_id text NOT NULL, pco_id text NOT NULL, pco_updated_at timestamptz,
    record jsonb NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, pco_id));
CREATE INDEX IF NOT EXISTS services_people_latest_by_pco_id
    ON pco_staging.services_people (pco_id, loaded_at DESC);

-- Linked local people whose PCO person is outside the scope services_active (not in
-- Services, or archived there, and holding no assignment on a live team): kept, linked and
-- merged as before, never deleted; listed here since the merge first found them outside.
-- A person back in the scope, or a church back on scope `all`, leaves the list; a person
-- whose link is gone (deleted here, unlinked) leaves it with their row.
CREATE TABLE IF NOT EXISTS sync.people_out_of_scope (
    person_id  bigint      PRIMARY KEY REFERENCES church.people (id) ON DELETE CASCADE,
    pco_id     text        NOT NULL,
    since      timestamptz NOT NULL DEFAULT now(),
    run_id     text        NOT NULL   -- the run whose merge first found them outside
);

-- What they mean to a church's data team (as 085 comments the other tables; docs/schema.md).
COMMENT ON TABLE pco_staging.services_people IS
    'PCO Services people (GET /services/v2/people: who is in Services, archived or not) as read by each run, with the teams. The people scope services_active reads them.';
COMMENT ON COLUMN pco_staging.services_people.run_id IS 'The Airflow run that read it.';
COMMENT ON COLUMN pco_staging.services_people.pco_id IS 'The record''s id in PCO.';
COMMENT ON COLUMN pco_staging.services_people.pco_updated_at IS
    'PCO''s updated_at for the record, where it has one.';
COMMENT ON COLUMN pco_staging.services_people.record IS
    'The record as PCO returned it (JSON:API), with the records it includes.';
COMMENT ON COLUMN pco_staging.services_people.loaded_at IS 'When it was read from PCO.';
COMMENT ON TABLE sync.people_out_of_scope IS
    'Linked local people whose PCO person is outside the people scope services_active (not active in PCO Services): kept, linked and merged as before, never deleted. Empty under the scope all.';
COMMENT ON COLUMN sync.people_out_of_scope.person_id IS 'The local person (church.people).';
COMMENT ON COLUMN sync.people_out_of_scope.pco_id IS 'The PCO person they are linked to.';
COMMENT ON COLUMN sync.people_out_of_scope.since IS
    'When a people merge first found them outside the scope.';
COMMENT ON COLUMN sync.people_out_of_scope.run_id IS 'The Airflow run of that merge.';
