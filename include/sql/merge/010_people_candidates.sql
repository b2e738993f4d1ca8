-- This run's PCO people, minus quarantined rows, as typed and normalised columns.
-- The run id comes from current_setting('pco_sync.run_id') (set by merge.py per transaction).
DROP TABLE IF EXISTS merge_people_stage;
CREATE TEMP TABLE merge_people_stage ON COMMIT DROP AS
WITH this_run AS (
    SELECT s.pco_id, s.record, s.record -> 'attributes' AS a
      FROM pco_staging.people s
     WHERE s.run_id = current_setting('pco_sync.run_id')
       AND NOT EXISTS (SELECT 1
                         FROM sync.quarantine q
                        WHERE q.run_id = s.run_id
                          AND q.stream = 'people'
                          AND q.pco_id = s.pco_id)
)
SELECT pco_id,
       nullif(btrim(a ->> 'first_name'), '')   AS first_name,
       nullif(btrim(a ->> 'last_name'), '')    AS last_name,
       nullif(btrim(a ->> 'nickname'), '')     AS nickname,
       nullif(btrim(a ->> 'middle_name'), '')  AS middle_name,
       sync.try_date(a ->> 'birthdate')        AS birthdate,
       nullif(btrim(a ->> 'gender'), '')       AS gender,
       CASE WHEN lower(a ->> 'status') = 'inactive' THEN 'inactive' ELSE 'active' END AS status,
       nullif(btrim(a ->> 'membership'), '')   AS membership,
       sync.try_bool(a ->> 'child')            AS child,
       record
  FROM this_run;
ALTER TABLE merge_people_stage ADD PRIMARY KEY (pco_id);

-- Each person's PCO emails, normalised as the email rung compares them.
DROP TABLE IF EXISTS merge_people_stage_emails;
CREATE TEMP TABLE merge_people_stage_emails ON COMMIT DROP AS
SELECT DISTINCT s.pco_id, lower(btrim(e -> 'attributes' ->> 'address')) AS address_norm
  FROM merge_people_stage s
 CROSS JOIN LATERAL jsonb_array_elements(
           CASE WHEN jsonb_typeof(s.record -> 'included' -> 'emails') = 'array'
                THEN s.record -> 'included' -> 'emails' ELSE '[]' END) AS e
 WHERE nullif(btrim(e -> 'attributes' ->> 'address'), '') IS NOT NULL;
ANALYZE merge_people_stage;
ANALYZE merge_people_stage_emails;
