-- Repair of duplicates a lost push save made (issue 22), before matching. Before remote_ids
-- were evidence (match.sql), a kill between PCO's answer to a person's create and the
-- push's save left the original local person unlinked, and the next pull created the PCO
-- person again as a second local person. Found here: a local person linked to a PCO person
-- whose latest staged copy carries, as remote_id, the id of an unlinked local person the
-- push asked PCO to create (sync.sent_creates).
--   nobody edited the duplicate here  -> folded into the original at once;
--   edited here                       -> a match review, the two as candidates: staff keep
--                                        one (the other is folded into it) or keep both
--                                        (the original is created in PCO anew).
-- Folding moves the link, contacts (a contact both hold is kept once),
-- group and family memberships, then deletes the folded person. Every fold and decision
-- is a match review row and a line in sync.resolution_log (actor pco_sync or staff).

DROP TABLE IF EXISTS merge_people_duplicates;
CREATE TEMP TABLE merge_people_duplicates ON COMMIT DROP AS
WITH originals AS (   -- pushed, still unlinked: few
    SELECT p.id
      FROM sync.sent_creates AS c
      JOIN church.people AS p ON p.id = c.local_id AND p.pco_id IS NULL
     WHERE c.entity = 'person'
),
claimed AS (   -- PCO people whose latest copy names an original as remote_id
    SELECT DISTINCT o.id AS original_id, s.pco_id
      FROM originals AS o
      JOIN pco_staging.people AS s ON s.record -> 'attributes' ->> 'remote_id' = o.id::text
     WHERE (SELECT latest.record -> 'attributes' ->> 'remote_id'
              FROM pco_staging.people AS latest
             WHERE latest.pco_id = s.pco_id
             ORDER BY latest.loaded_at DESC
             LIMIT 1) = o.id::text
)
SELECT DISTINCT ON (c.original_id) c.original_id, d.id AS duplicate_id, c.pco_id
  FROM claimed AS c
  JOIN church.people AS d ON d.pco_id = c.pco_id
 WHERE NOT EXISTS (SELECT 1 FROM sync.sent_creates AS x
                    WHERE x.entity = 'person' AND x.local_id = d.id)
 ORDER BY c.original_id, d.id;

-- Edited here: a field away from its agreed state, a contact added or changed locally, a
-- local join of a group or family PCO does not know of.
ALTER TABLE merge_people_duplicates ADD COLUMN edited boolean;
UPDATE merge_people_duplicates AS dup
   SET edited = NOT EXISTS (
           SELECT 1 FROM sync.agreed_people AS a
            WHERE a.person_id = d.id
              AND (a.first_name, a.last_name, a.nickname, a.middle_name, a.birthdate,
                   a.gender, a.status, a.membership, a.child)
                  IS NOT DISTINCT FROM
                  (d.first_name, d.last_name, d.nickname, d.middle_name, d.birthdate,
                   d.gender, d.status, d.membership, d.child))
       OR EXISTS (
           SELECT 1
             FROM (SELECT 'email' AS kind, e.pco_id,
                          jsonb_build_object('address', e.address, 'location', e.location,
                                             'is_primary', e.is_primary::text) AS fields
                     FROM church.emails AS e WHERE e.person_id = d.id
                   UNION ALL
                   SELECT 'phone_number', n.pco_id,
                          jsonb_build_object('number', n.number, 'location', n.location,
                                             'is_primary', n.is_primary::text)
                     FROM church.phone_numbers AS n WHERE n.person_id = d.id
                   UNION ALL
                   SELECT 'address', a.pco_id,
                          jsonb_build_object('street_line_1', a.street_line_1,
                                             'street_line_2', a.street_line_2, 'city', a.city,
                                             'state', a.state, 'zip', a.zip,
                                             'country_code', a.country_code,
                                             'location', a.location,
                                             'is_primary', a.is_primary::text)
                     FROM church.addresses AS a WHERE a.person_id = d.id) AS mine
            WHERE NOT EXISTS (SELECT 1 FROM sync.agreed_contacts AS ac
                               WHERE ac.kind = mine.kind AND ac.pco_id = mine.pco_id
                                 AND ac.fields = mine.fields))
       OR EXISTS (SELECT 1 FROM church.group_memberships AS g
                   WHERE g.person_id = d.id AND g.pco_id IS NULL AND g.ended_at IS NULL)
       OR EXISTS (SELECT 1 FROM church.family_members AS fm
                   WHERE fm.person_id = d.id
                     AND NOT EXISTS (SELECT 1 FROM sync.agreed_family_members AS af
                                      WHERE af.family_id = fm.family_id
                                        AND af.person_pco_id = d.pco_id))
  FROM church.people AS d
 WHERE d.id = dup.duplicate_id;

-- The latest staged copy of each duplicate's PCO person: what a review shows.
ALTER TABLE merge_people_duplicates ADD COLUMN record jsonb;
UPDATE merge_people_duplicates AS dup
   SET record = (SELECT s.record FROM pco_staging.people AS s
                  WHERE s.pco_id = dup.pco_id ORDER BY s.loaded_at DESC LIMIT 1);

-- Staff's decisions on earlier reviews (sync.resolve_match): keep the chosen person (link),
-- or keep both (create).
DROP TABLE IF EXISTS merge_people_duplicate_decisions;
CREATE TEMP TABLE merge_people_duplicate_decisions ON COMMIT DROP AS
SELECT r.id AS review_id, r.pco_id, r.decision, r.decided_person_id, r.decided_by,
       r.candidates[1] AS original_id, r.candidates[2] AS duplicate_id
  FROM sync.match_review AS r
 WHERE r.entity = 'person' AND r.resolved_at IS NULL
   AND r.reason = 'duplicate of the local person its remote_id names'
   AND r.decision IN ('link', 'create');

-- The folds of this run: (keep, fold) with the review each is recorded under. Unedited
-- duplicates are decided by pco_sync itself (a review row decided and resolved at once);
-- a staff decision holds while both people are still here and one of them has the link.
DROP TABLE IF EXISTS merge_people_folds;
CREATE TEMP TABLE merge_people_folds (
    review_id  bigint NOT NULL,
    pco_id     text NOT NULL,
    keep_id    bigint NOT NULL,
    fold_id    bigint NOT NULL,
    actor      text NOT NULL
) ON COMMIT DROP;

WITH auto AS (
    INSERT INTO sync.match_review (run_id, pco_id, reason, candidates, payload, decision,
                                   decided_person_id, decided_by, decided_at, resolved_at)
    SELECT current_setting('pco_sync.run_id'), dup.pco_id,
           'duplicate of the local person its remote_id names',
           ARRAY[dup.original_id, dup.duplicate_id], dup.record, 'link', dup.original_id,
           'pco_sync', now(), now()
      FROM merge_people_duplicates AS dup
     WHERE NOT dup.edited
       -- once under review (edited then), the pair waits for staff whatever happens since
       AND NOT EXISTS (SELECT 1 FROM sync.match_review AS r
                        WHERE r.entity = 'person' AND r.pco_id = dup.pco_id
                          AND r.reason = 'duplicate of the local person its remote_id names'
                          AND (r.resolved_at IS NULL OR r.decision = 'ignore'))
    RETURNING id, pco_id, candidates
)
INSERT INTO merge_people_folds (review_id, pco_id, keep_id, fold_id, actor)
SELECT id, pco_id, candidates[1], candidates[2], 'pco_sync'
  FROM auto
UNION ALL
SELECT x.review_id, x.pco_id, x.decided_person_id,
       CASE WHEN x.decided_person_id = x.original_id THEN x.duplicate_id ELSE x.original_id END,
       coalesce(x.decided_by, 'staff')
  FROM merge_people_duplicate_decisions AS x
 WHERE x.decision = 'link'
   AND (SELECT count(*) FROM church.people AS p
         WHERE p.id IN (x.original_id, x.duplicate_id)) = 2
   AND EXISTS (SELECT 1 FROM church.people AS p
                WHERE p.id IN (x.original_id, x.duplicate_id) AND p.pco_id = x.pco_id);

-- The decision history: both people as they were, and who kept whom.
INSERT INTO sync.resolution_log (actor, action, entity, local_id, pco_id, subject_id,
                                 before, after)
SELECT f.actor, 'repair:fold duplicate', 'person', f.keep_id, f.pco_id, f.review_id,
       jsonb_build_object('kept', sync.local_record('person', f.keep_id),
                          'folded', sync.local_record('person', f.fold_id)),
       jsonb_build_object('person_id', f.keep_id, 'folded_person_id', f.fold_id,
                          'pco_id', f.pco_id)
  FROM merge_people_folds AS f;

-- Contacts: one both hold (same kind and value, one side not yet in PCO) is kept once, by
-- the person kept, with the PCO id if either had one; the rest move.
DROP TABLE IF EXISTS merge_people_fold_contacts;
CREATE TEMP TABLE merge_people_fold_contacts ON COMMIT DROP AS
WITH contacts AS (
    SELECT 'email' AS kind, e.id, e.person_id, e.pco_id,
           sync.contact_key('email', jsonb_build_object('address', e.address)) AS match_key
      FROM church.emails AS e
     WHERE e.person_id IN (SELECT keep_id FROM merge_people_folds
                           UNION ALL SELECT fold_id FROM merge_people_folds)
    UNION ALL
    SELECT 'phone_number', n.id, n.person_id, n.pco_id,
           sync.contact_key('phone_number', jsonb_build_object('number', n.number))
      FROM church.phone_numbers AS n
     WHERE n.person_id IN (SELECT keep_id FROM merge_people_folds
                           UNION ALL SELECT fold_id FROM merge_people_folds)
    UNION ALL
    SELECT 'address', a.id, a.person_id, a.pco_id,
           sync.contact_key('address', jsonb_build_object('street_line_1', a.street_line_1,
                                                          'city', a.city, 'zip', a.zip))
      FROM church.addresses AS a
     WHERE a.person_id IN (SELECT keep_id FROM merge_people_folds
                           UNION ALL SELECT fold_id FROM merge_people_folds)
),
pairs AS (
    SELECT f.keep_id, fc.kind, fc.id AS fold_contact_id, fc.pco_id AS fold_pco_id,
           kc.id AS keep_contact_id, kc.pco_id AS keep_pco_id,
           row_number() OVER (PARTITION BY fc.kind, fc.id ORDER BY kc.id) AS nth_keep,
           row_number() OVER (PARTITION BY kc.kind, kc.id ORDER BY fc.id) AS nth_fold
      FROM merge_people_folds AS f
      JOIN contacts AS fc ON fc.person_id = f.fold_id
      JOIN contacts AS kc ON kc.person_id = f.keep_id AND kc.kind = fc.kind
                         AND kc.match_key = fc.match_key
                         AND (kc.pco_id IS NULL OR fc.pco_id IS NULL)
)
SELECT f.keep_id, c.kind, c.id AS fold_contact_id, c.pco_id AS fold_pco_id,
       p.keep_contact_id
  FROM merge_people_folds AS f
  JOIN contacts AS c ON c.person_id = f.fold_id
  LEFT JOIN pairs AS p ON p.kind = c.kind AND p.fold_contact_id = c.id
                      AND p.nth_keep = 1 AND p.nth_fold = 1;

-- The folded person's copy of a shared contact goes; its PCO id moves to the kept copy.
DELETE FROM church.emails AS e USING merge_people_fold_contacts AS c
 WHERE c.kind = 'email' AND c.keep_contact_id IS NOT NULL AND e.id = c.fold_contact_id;
DELETE FROM church.phone_numbers AS n USING merge_people_fold_contacts AS c
 WHERE c.kind = 'phone_number' AND c.keep_contact_id IS NOT NULL AND n.id = c.fold_contact_id;
DELETE FROM church.addresses AS a USING merge_people_fold_contacts AS c
 WHERE c.kind = 'address' AND c.keep_contact_id IS NOT NULL AND a.id = c.fold_contact_id;

UPDATE church.emails AS e SET pco_id = c.fold_pco_id FROM merge_people_fold_contacts AS c
 WHERE c.kind = 'email' AND e.id = c.keep_contact_id AND c.fold_pco_id IS NOT NULL;
UPDATE church.phone_numbers AS n SET pco_id = c.fold_pco_id FROM merge_people_fold_contacts AS c
 WHERE c.kind = 'phone_number' AND n.id = c.keep_contact_id AND c.fold_pco_id IS NOT NULL;
UPDATE church.addresses AS a SET pco_id = c.fold_pco_id FROM merge_people_fold_contacts AS c
 WHERE c.kind = 'address' AND a.id = c.keep_contact_id AND c.fold_pco_id IS NOT NULL;

-- The others move to the kept person.
UPDATE church.emails AS e SET person_id = c.keep_id FROM merge_people_fold_contacts AS c
 WHERE c.kind = 'email' AND c.keep_contact_id IS NULL AND e.id = c.fold_contact_id;
UPDATE church.phone_numbers AS n SET person_id = c.keep_id FROM merge_people_fold_contacts AS c
 WHERE c.kind = 'phone_number' AND c.keep_contact_id IS NULL AND n.id = c.fold_contact_id;
UPDATE church.addresses AS a SET person_id = c.keep_id FROM merge_people_fold_contacts AS c
 WHERE c.kind = 'address' AND c.keep_contact_id IS NULL AND a.id = c.fold_contact_id;

UPDATE sync.agreed_contacts AS ac
   SET person_id = c.keep_id, local_id = coalesce(c.keep_contact_id, c.fold_contact_id)
  FROM merge_people_fold_contacts AS c
 WHERE ac.kind = c.kind AND ac.pco_id = c.fold_pco_id;

-- Group memberships: a group both are in keeps the kept person's row (with PCO's id if
-- only the folded one had it); the others move.
WITH shared AS (
    DELETE FROM church.group_memberships AS g
     USING merge_people_folds AS f, church.group_memberships AS k
     WHERE g.person_id = f.fold_id AND g.ended_at IS NULL
       AND k.person_id = f.keep_id AND k.group_id = g.group_id AND k.ended_at IS NULL
    RETURNING k.id AS keep_row, g.pco_id
)
UPDATE church.group_memberships AS k
   SET pco_id = s.pco_id
  FROM shared AS s
 WHERE k.id = s.keep_row AND k.pco_id IS NULL AND s.pco_id IS NOT NULL;

UPDATE church.group_memberships AS g
   SET person_id = f.keep_id
  FROM merge_people_folds AS f
 WHERE g.person_id = f.fold_id;

-- Families: the kept person joins the folded one's families and stands in as primary contact.
INSERT INTO church.family_members (family_id, person_id)
SELECT fm.family_id, f.keep_id
  FROM merge_people_folds AS f
  JOIN church.family_members AS fm ON fm.person_id = f.fold_id
ON CONFLICT DO NOTHING;

UPDATE church.families AS fam
   SET primary_contact_id = f.keep_id
  FROM merge_people_folds AS f
 WHERE fam.primary_contact_id = f.fold_id;

-- The link goes to the kept person. Its agreed state stays with the duplicate kept, and
-- goes with the duplicate folded (deleted below): what the original sent is not known any
-- more, so the next merge agrees where the original and PCO hold the same, takes PCO's
-- value where the original has none, and makes a conflict of any other difference. Open
-- field conflicts of the folded person end with it.
UPDATE sync.conflicts AS c
   SET resolved_at = now(), resolution = 'folded into person ' || f.keep_id,
       resolved_by = f.actor
  FROM merge_people_folds AS f
 WHERE c.entity = 'person' AND c.local_id = f.fold_id AND c.resolved_at IS NULL;

UPDATE church.people AS p
   SET pco_id = NULL
  FROM merge_people_folds AS f
 WHERE p.id = f.fold_id;

UPDATE church.people AS p
   SET pco_id = f.pco_id
  FROM merge_people_folds AS f
 WHERE p.id = f.keep_id;

DELETE FROM church.people AS p
 USING merge_people_folds AS f
 WHERE p.id = f.fold_id;

-- A folded original was never created in PCO under its own id: nothing of it to recognise.
DELETE FROM sync.sent_creates AS s
 USING merge_people_folds AS f
 WHERE s.entity = 'person' AND s.local_id = f.fold_id;

-- Keep both (staff chose create): the original is created in PCO anew, without a lookup
-- (which would find the duplicate's PCO person again).
INSERT INTO sync.resolution_log (actor, action, entity, local_id, pco_id, subject_id,
                                 before, after)
SELECT x.decided_by, 'repair:keep both', 'person', x.original_id, x.pco_id, x.review_id,
       jsonb_build_object('original', sync.local_record('person', x.original_id),
                          'duplicate', sync.local_record('person', x.duplicate_id)),
       jsonb_build_object('created_anew', x.original_id)
  FROM merge_people_duplicate_decisions AS x
 WHERE x.decision = 'create';

DELETE FROM sync.push_pending AS j
 USING merge_people_duplicate_decisions AS x
 WHERE x.decision = 'create'
   AND j.entity = 'person' AND j.operation = 'create' AND j.key = x.original_id::text;

UPDATE sync.push_failures AS pf
   SET resolved_at = now()
  FROM merge_people_duplicate_decisions AS x
 WHERE x.decision = 'create' AND pf.resolved_at IS NULL
   AND pf.entity = 'person' AND pf.operation = 'create' AND pf.key = x.original_id::text;

DELETE FROM sync.sent_creates AS s
 USING merge_people_duplicate_decisions AS x
 WHERE x.decision = 'create' AND s.entity = 'person' AND s.local_id = x.original_id;

UPDATE sync.match_review AS r
   SET resolved_at = now()
  FROM merge_people_duplicate_decisions AS x
 WHERE r.id = x.review_id;

-- Edited duplicates wait for staff: one open review per PCO person, unless staff ignored
-- this very pair.
INSERT INTO sync.match_review (run_id, pco_id, reason, candidates, payload)
SELECT current_setting('pco_sync.run_id'), dup.pco_id,
       'duplicate of the local person its remote_id names',
       ARRAY[dup.original_id, dup.duplicate_id], dup.record
  FROM merge_people_duplicates AS dup
 WHERE dup.edited
   AND NOT EXISTS (SELECT 1 FROM merge_people_duplicate_decisions AS x
                    WHERE x.pco_id = dup.pco_id)
   AND NOT EXISTS (SELECT 1 FROM sync.match_review AS r
                    WHERE r.entity = 'person' AND r.pco_id = dup.pco_id
                      AND r.decision = 'ignore'
                      AND r.reason = 'duplicate of the local person its remote_id names'
                      AND r.candidates = ARRAY[dup.original_id, dup.duplicate_id])
ON CONFLICT (entity, pco_id) WHERE resolved_at IS NULL DO UPDATE
   SET run_id = excluded.run_id, reason = excluded.reason,
       candidates = excluded.candidates, payload = excluded.payload
 WHERE (sync.match_review.reason, sync.match_review.candidates)
       IS DISTINCT FROM (excluded.reason, excluded.candidates);
