-- Quarantine by record, not by run: one open row per failure (stream, record, contact,
-- check) that later runs update (run_id: the latest run that saw it) and resolve once a run
-- stages the record and the check passes. A failing email or phone number is quarantined
-- as that contact (contact_kind, contact_id; pco_id stays the person's id and payload the
-- staged person), so the person is merged without it.
ALTER TABLE sync.quarantine
    ADD COLUMN IF NOT EXISTS contact_kind text CHECK (contact_kind IN ('email', 'phone_number')),
    ADD COLUMN IF NOT EXISTS contact_id   text,
    ADD COLUMN IF NOT EXISTS first_run_id text;   -- the run that found it first

UPDATE sync.quarantine SET first_run_id = run_id WHERE first_run_id IS NULL;

-- Earlier runs added one row per run for the same failure: keep the newest open row, with
-- the first sighting's time and run, and drop the copies.
WITH same AS (
    SELECT stream, coalesce(pco_id, '') AS pco_key, check_name,
           max(id) AS keep_id, min(quarantined_at) AS first_at,
           (array_agg(run_id ORDER BY id))[1] AS first_run
      FROM sync.quarantine
     WHERE resolved_at IS NULL
     GROUP BY 1, 2, 3
    HAVING count(*) > 1
),
kept AS (
    UPDATE sync.quarantine q
       SET quarantined_at = same.first_at, first_run_id = same.first_run
      FROM same
     WHERE q.id = same.keep_id
)
DELETE FROM sync.quarantine q
 USING same
 WHERE q.resolved_at IS NULL
   AND q.stream = same.stream AND coalesce(q.pco_id, '') = same.pco_key
   AND q.check_name = same.check_name
   AND q.id <> same.keep_id;

DROP INDEX IF EXISTS sync.quarantine_once;
CREATE UNIQUE INDEX IF NOT EXISTS quarantine_open_once
    ON sync.quarantine (stream, coalesce(pco_id, ''), coalesce(contact_id, ''), check_name)
    WHERE resolved_at IS NULL;
-- Merges look up this run's rows by record (the dropped index served that).
CREATE INDEX IF NOT EXISTS quarantine_of_run ON sync.quarantine (run_id, stream, pco_id);
