-- This run's PCO people, minus quarantined people and copies older than one already merged
-- (shared/outdated_copies.sql), as typed and normalised columns, and
-- their emails, phone numbers and addresses flattened, minus quarantined contacts (the
-- person is merged without them). The run id comes from
-- current_setting('pco_sync.run_id') (set by merge.py per transaction).
--
-- The records are read twice here; later steps use these tables. "(SELECT ... OFFSET 0)"
-- computes a value once per row: the planner would otherwise copy the expression into
-- every reference, and each record -> 'x' decompresses the whole record again.
--
-- merge_people_decided (decided.sql): records merged though this run did not read them.
DROP TABLE IF EXISTS merge_people_stage;
CREATE TEMP TABLE merge_people_stage ON COMMIT DROP AS
SELECT s.pco_id,
       nullif(btrim(r.a ->> 'first_name'), '')   AS first_name,
       nullif(btrim(r.a ->> 'last_name'), '')    AS last_name,
       nullif(btrim(r.a ->> 'nickname'), '')     AS nickname,
       nullif(btrim(r.a ->> 'middle_name'), '')  AS middle_name,
       sync.try_date(r.a ->> 'birthdate')        AS birthdate,
       nullif(btrim(r.a ->> 'gender'), '')       AS gender,
       CASE WHEN lower(r.a ->> 'status') = 'inactive' THEN 'inactive' ELSE 'active' END AS status,
       nullif(btrim(r.a ->> 'membership'), '')   AS membership,
       sync.try_bool(r.a ->> 'child')            AS child,
       r.a ->> 'updated_at'                      AS updated_at,  -- text: parsed only where a
                                                                  -- policy compares times
       -- the local id the push created this person from, when pco-sync did (match.sql)
       CASE WHEN r.a ->> 'remote_id' ~ '^[0-9]{1,18}$'
            THEN (r.a ->> 'remote_id')::bigint END AS remote_id
  FROM (SELECT s.pco_id, s.record
          FROM pco_staging.people s
         WHERE s.run_id = current_setting('pco_sync.run_id')
           AND NOT EXISTS (SELECT 1
                             FROM sync.quarantine q
                            WHERE q.run_id = s.run_id
                              AND q.stream = 'people'
                              AND q.pco_id = s.pco_id
                              AND q.contact_kind IS NULL
                              AND q.resolved_at IS NULL)
           -- an older copy than one already merged (shared/outdated_copies.sql)
           AND NOT EXISTS (SELECT 1 FROM merge_outdated_copies o WHERE o.pco_id = s.pco_id)
        UNION ALL
        SELECT d.pco_id, d.record FROM merge_people_decided d) s
 CROSS JOIN LATERAL (SELECT s.record -> 'attributes' AS a OFFSET 0) r;
ALTER TABLE merge_people_stage ADD PRIMARY KEY (pco_id);
-- Temp tables are analysed for the next joins' sake, on the columns those join on: the
-- others would cost more to sample than they tell the planner.
ANALYZE merge_people_stage (pco_id, birthdate);

-- Contacts of this run's people that failed a check (quality/people.py): left out of the
-- merge, and their local copies left alone (contacts_compare.sql, contacts_agreed.sql).
DROP TABLE IF EXISTS merge_people_quarantined_contacts;
CREATE TEMP TABLE merge_people_quarantined_contacts ON COMMIT DROP AS
SELECT DISTINCT q.pco_id AS person_pco_id, q.contact_kind AS kind, q.contact_id AS pco_id
  FROM sync.quarantine q
 WHERE q.run_id = current_setting('pco_sync.run_id')
   AND q.stream = 'people'
   AND q.contact_kind IS NOT NULL
   AND q.resolved_at IS NULL;
ANALYZE merge_people_quarantined_contacts;

-- PCO's contacts, one row per listed item, fields named as the church tables name them and
-- every value as text (the form sync.text_fields gives; agreed states are kept in it).
-- Emails and numbers without a value are left out; items without an id stay here (the
-- email rung matches on them) and are left out of the contact merge.
DROP TABLE IF EXISTS merge_people_stage_contacts;
CREATE TEMP TABLE merge_people_stage_contacts ON COMMIT DROP AS
WITH items AS (
    SELECT p.pco_id AS person_pco_id, k.kind, x.item ->> 'id' AS pco_id, a.a
      FROM (SELECT s.pco_id, s.record -> 'included' AS inc   -- merge_people_stage's rows
              FROM pco_staging.people s
             WHERE s.run_id = current_setting('pco_sync.run_id')
               AND NOT EXISTS (SELECT 1
                                 FROM sync.quarantine q
                                WHERE q.run_id = s.run_id
                                  AND q.stream = 'people'
                                  AND q.pco_id = s.pco_id
                                  AND q.contact_kind IS NULL
                                  AND q.resolved_at IS NULL)
               AND NOT EXISTS (SELECT 1 FROM merge_outdated_copies o WHERE o.pco_id = s.pco_id)
            UNION ALL
            SELECT d.pco_id, d.record -> 'included' FROM merge_people_decided d
            OFFSET 0) p
     CROSS JOIN (VALUES ('email', 'emails'), ('phone_number', 'phone_numbers'),
                        ('address', 'addresses')) AS k(kind, included_key)
     CROSS JOIN LATERAL jsonb_array_elements(
               CASE WHEN jsonb_typeof(p.inc -> k.included_key) = 'array'
                    THEN p.inc -> k.included_key ELSE '[]' END) AS x(item)
     CROSS JOIN LATERAL (SELECT x.item -> 'attributes' AS a OFFSET 0) a
     WHERE NOT EXISTS (SELECT 1 FROM merge_people_quarantined_contacts qc
                        WHERE qc.person_pco_id = p.pco_id AND qc.kind = k.kind
                          AND qc.pco_id IS NOT DISTINCT FROM x.item ->> 'id')
),
fields AS (
    SELECT person_pco_id, kind, pco_id, a ->> 'updated_at' AS updated_at,
           CASE kind WHEN 'email' THEN nullif(btrim(a ->> 'address'), '')
                     WHEN 'phone_number' THEN nullif(btrim(a ->> 'number'), '') END AS value,
           CASE kind
           WHEN 'email' THEN jsonb_build_object(
               'address', nullif(btrim(a ->> 'address'), ''),
               'location', a ->> 'location',
               'is_primary', coalesce(sync.try_bool(a ->> 'primary'), false)::text)
           WHEN 'phone_number' THEN jsonb_build_object(
               'number', nullif(btrim(a ->> 'number'), ''),
               'location', a ->> 'location',
               'is_primary', coalesce(sync.try_bool(a ->> 'primary'), false)::text)
           -- Older API versions send one `street` (lines joined by a newline).
           WHEN 'address' THEN jsonb_build_object(
               'street_line_1', CASE WHEN a ? 'street_line_1' THEN a ->> 'street_line_1'
                                     ELSE nullif(split_part(a ->> 'street', E'\n', 1), '') END,
               'street_line_2', CASE WHEN a ? 'street_line_1' THEN a ->> 'street_line_2'
                                     ELSE nullif(substr(a ->> 'street',
                                              strpos(a ->> 'street', E'\n') + 1), a ->> 'street') END,
               'city', a ->> 'city', 'state', a ->> 'state', 'zip', a ->> 'zip',
               'country_code', a ->> 'country_code', 'location', a ->> 'location',
               'is_primary', coalesce(sync.try_bool(a ->> 'primary'), false)::text)
           END AS fields
      FROM items
)
SELECT person_pco_id, kind, pco_id, fields, updated_at
  FROM fields
 WHERE kind = 'address' OR value IS NOT NULL;

-- Each person's PCO emails, normalised as the email rung compares them (none to compare
-- with while the church has no emails: a first sync).
DROP TABLE IF EXISTS merge_people_stage_emails;
CREATE TEMP TABLE merge_people_stage_emails ON COMMIT DROP AS
SELECT DISTINCT person_pco_id AS pco_id, lower(fields ->> 'address') AS address_norm
  FROM merge_people_stage_contacts
 WHERE kind = 'email'
   AND EXISTS (SELECT 1 FROM church.emails);
ANALYZE merge_people_stage_emails;
