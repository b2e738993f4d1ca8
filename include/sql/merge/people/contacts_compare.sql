-- Emails, phone numbers and addresses of this run's linked people, compared as sets:
-- paired by PCO id, or (before they have one) by normalised value within the person;
-- each pair merged field by field against its agreed state. A person's contacts of a kind
-- are only compared when the staging record carries that kind (absent is not "none").

-- PCO's side, one row per contact (flattened in candidates.sql), now with the local person.
-- Sorted by PCO id first, bytewise (COLLATE "C", which compares the first bytes of each id
-- at once): the same groups, and within each kind the same order for PCO's ids (digits),
-- so the same ids are drawn below. Sorted by kind first in the database's collation, a
-- first sync's 200,000 contacts took twice as long.
DROP TABLE IF EXISTS merge_contacts_pco;
CREATE TEMP TABLE merge_contacts_pco ON COMMIT DROP AS
SELECT DISTINCT ON (c.pco_id COLLATE "C", c.kind)
       m.person_id, c.kind, c.pco_id, c.fields, c.updated_at
  FROM merge_people_stage_contacts c
  JOIN merge_people m ON m.pco_id = c.person_pco_id
 WHERE m.person_id IS NOT NULL
   AND c.pco_id IS NOT NULL
 ORDER BY c.pco_id COLLATE "C", c.kind, m.person_id;

ANALYZE merge_contacts_pco (person_id, kind, pco_id);

-- Which (person, kind) sets this run speaks for: the kinds the staging record lists. A kind
-- that is not a list is absent (not "none"): that person's contacts of that kind are left
-- alone. People created by this run are left out: they have no contacts here yet, nor
-- agreed ones, so there is nothing of theirs to compare (and a first sync reads no record).
DROP TABLE IF EXISTS merge_contacts_scope;
CREATE TEMP TABLE merge_contacts_scope ON COMMIT DROP AS
SELECT p.person_id, k.kind
  FROM (SELECT m.person_id, s.record -> 'included' AS inc   -- once per person (OFFSET 0)
          FROM merge_people m
          JOIN (SELECT s.pco_id, s.record FROM pco_staging.people s
                 WHERE s.run_id = current_setting('pco_sync.run_id')
                UNION ALL   -- staff decisions on people this run did not read (candidates.sql)
                SELECT d.pco_id, d.record FROM merge_people_decided d) s
            ON s.pco_id = m.pco_id
         WHERE m.person_id IS NOT NULL
           AND m.outcome <> 'created'
        OFFSET 0) p
 CROSS JOIN (VALUES ('email', 'emails'), ('phone_number', 'phone_numbers'),
                    ('address', 'addresses')) AS k(kind, included_key)
 WHERE jsonb_typeof(p.inc -> k.included_key) = 'array';

ANALYZE merge_contacts_scope;

-- The local side: the in-scope people's contacts, plus any local contact carrying one of
-- PCO's ids (PCO may have moved it to another person, e.g. after a merge).
DROP TABLE IF EXISTS merge_contacts_local;
CREATE TEMP TABLE merge_contacts_local ON COMMIT DROP AS
-- NOT MATERIALIZED: each branch below joins straight to the contact tables (by person or
-- PCO id), so a small run builds only the rows it needs, not every contact of the church.
WITH local_all AS NOT MATERIALIZED (   -- every value as text, as on PCO's side
    SELECT 'email' AS kind, id AS local_id, person_id, pco_id, updated_at,
           jsonb_build_object('address', address, 'location', location,
                              'is_primary', is_primary::text) AS fields
      FROM church.emails
    UNION ALL
    SELECT 'phone_number', id, person_id, pco_id, updated_at,
           jsonb_build_object('number', number, 'location', location,
                              'is_primary', is_primary::text)
      FROM church.phone_numbers
    UNION ALL
    SELECT 'address', id, person_id, pco_id, updated_at,
           jsonb_build_object('street_line_1', street_line_1, 'street_line_2', street_line_2,
                              'city', city, 'state', state, 'zip', zip,
                              'country_code', country_code, 'location', location,
                              'is_primary', is_primary::text)
      FROM church.addresses
)
SELECT l.kind, l.local_id, l.person_id, l.pco_id, l.fields, l.updated_at
  FROM local_all l
  JOIN merge_contacts_scope c ON c.person_id = l.person_id AND c.kind = l.kind
UNION
SELECT l.kind, l.local_id, l.person_id, l.pco_id, l.fields, l.updated_at
  FROM local_all l
  JOIN merge_contacts_pco p ON p.kind = l.kind AND p.pco_id = l.pco_id;

ANALYZE merge_contacts_local (kind, local_id, person_id, pco_id);

-- Pairs: by PCO id, then by normalised value within the person (1:1), then the leftovers.
DROP TABLE IF EXISTS merge_contact_pairs;
CREATE TEMP TABLE merge_contact_pairs ON COMMIT DROP AS
WITH by_id AS (
    SELECT p.kind, p.pco_id, p.person_id, l.local_id, p.fields AS pco_fields,
           l.fields AS local_fields, sync.try_timestamptz(p.updated_at) AS pco_at,
           l.updated_at AS local_at
      FROM merge_contacts_pco p
      JOIN merge_contacts_local l ON l.kind = p.kind AND l.pco_id = p.pco_id
),
keyed_pco AS (
    SELECT p.*, sync.contact_key(p.kind, p.fields) AS match_key,
           row_number() OVER (PARTITION BY p.person_id, p.kind, sync.contact_key(p.kind, p.fields)
                              ORDER BY p.pco_id) AS nth
      FROM merge_contacts_pco p
     WHERE NOT EXISTS (SELECT 1 FROM by_id b WHERE b.kind = p.kind AND b.pco_id = p.pco_id)
       -- Only people with a local contact of that kind still unlinked can pair by value
       -- (most cannot: the sort below would otherwise rank every PCO contact).
       AND EXISTS (SELECT 1 FROM merge_contacts_local l
                    WHERE l.person_id = p.person_id AND l.kind = p.kind AND l.pco_id IS NULL)
),
keyed_local AS (
    SELECT l.*, sync.contact_key(l.kind, l.fields) AS match_key,
           row_number() OVER (PARTITION BY l.person_id, l.kind, sync.contact_key(l.kind, l.fields)
                              ORDER BY l.local_id) AS nth
      FROM merge_contacts_local l
     WHERE l.pco_id IS NULL
),
by_value AS (
    SELECT p.kind, p.pco_id, p.person_id, l.local_id, p.fields AS pco_fields,
           l.fields AS local_fields, sync.try_timestamptz(p.updated_at) AS pco_at,
           l.updated_at AS local_at
      FROM keyed_pco p
      JOIN keyed_local l
        ON l.person_id = p.person_id AND l.kind = p.kind
       AND l.match_key = p.match_key AND l.nth = p.nth
),
paired AS (
    SELECT *, true AS by_pco_id FROM by_id
    UNION ALL
    SELECT *, false FROM by_value
),
pco_only AS (
    SELECT p.kind, p.pco_id, p.person_id, NULL::bigint AS local_id, p.fields AS pco_fields,
           NULL::jsonb AS local_fields, NULL::timestamptz AS pco_at,  -- nothing to compare
           NULL::timestamptz AS local_at,
           false AS by_pco_id
      FROM merge_contacts_pco p
     WHERE NOT EXISTS (SELECT 1 FROM paired x WHERE x.kind = p.kind AND x.pco_id = p.pco_id)
),
local_only AS (   -- linked locally, gone from PCO's set for that person
    SELECT l.kind, l.pco_id, l.person_id, l.local_id, NULL::jsonb, l.fields, NULL::timestamptz,
           l.updated_at, true
      FROM merge_contacts_local l
      JOIN merge_contacts_scope c ON c.person_id = l.person_id AND c.kind = l.kind
     WHERE l.pco_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM merge_contacts_pco p
                        WHERE p.kind = l.kind AND p.pco_id = l.pco_id)
       -- PCO still has it, in a form that failed a check: not a deletion, left alone.
       AND NOT EXISTS (SELECT 1 FROM merge_people_quarantined_contacts q
                        WHERE q.kind = l.kind AND q.pco_id = l.pco_id)
),
everything AS (
    SELECT * FROM paired UNION ALL SELECT * FROM pco_only UNION ALL SELECT * FROM local_only
)
SELECT e.kind, e.pco_id, e.person_id,
       -- A contact to insert gets its id now, from its table's sequence (apply_emails, apply_phone_numbers, apply_addresses insert it).
       CASE WHEN e.local_fields IS NULL AND a.pco_id IS NULL
            THEN nextval(CASE e.kind
                         WHEN 'email' THEN
                             (SELECT pg_get_serial_sequence('church.emails', 'id')::regclass)
                         WHEN 'phone_number' THEN
                             (SELECT pg_get_serial_sequence('church.phone_numbers', 'id')::regclass)
                         ELSE
                             (SELECT pg_get_serial_sequence('church.addresses', 'id')::regclass)
                         END)
            ELSE e.local_id END AS local_id,
       e.pco_fields, e.local_fields, e.pco_at, e.local_at,
       -- Paired by value on first sight: nothing agreed yet, and the two are the same
       -- contact, so PCO's spelling, location and primary flag are taken.
       CASE WHEN e.by_pco_id THEN a.fields
            WHEN e.pco_fields IS NOT NULL THEN e.local_fields END AS base_fields,
       CASE WHEN e.pco_fields IS NOT NULL AND e.local_fields IS NOT NULL THEN 'merge'
            WHEN e.local_fields IS NULL AND a.pco_id IS NOT NULL THEN 'keep_deleted'
            WHEN e.local_fields IS NULL THEN 'insert'
            WHEN e.local_fields = a.fields THEN 'delete'
            ELSE 'keep_local'
       END AS action
  FROM everything e
  LEFT JOIN sync.agreed_contacts a ON a.kind = e.kind AND a.pco_id = e.pco_id;

ANALYZE merge_contact_pairs (kind, pco_id, person_id, local_id, action);

-- Field decisions for the pairs present on both sides, this run's conflict policies applied.
DROP TABLE IF EXISTS merge_contact_fields;
CREATE TEMP TABLE merge_contact_fields ON COMMIT DROP AS
SELECT c.kind, c.local_id, c.pco_id, f.*
  FROM merge_contact_pairs c
 CROSS JOIN LATERAL sync.three_way_settled(c.pco_fields, c.local_fields, c.base_fields,
                                           c.kind, c.pco_at, c.local_at) AS f
 WHERE c.action = 'merge';

ANALYZE merge_contact_fields (kind, local_id, take_pco);

-- People whose contacts this run writes (counted as updated).
DROP TABLE IF EXISTS merge_contact_writes;
CREATE TEMP TABLE merge_contact_writes (person_id bigint) ON COMMIT DROP;
