-- The matching ladder: PCO id, then the push's own mark (remote_id), then email (trimmed,
-- lower-case), then normalised first + last name with birthdate. A rung with several candidates is narrowed only by the next
-- rung (a shared family email, told apart by name + birthdate); otherwise never guess:
-- several candidates, or one already linked to another PCO person, go to match review.
--
-- The email rung needs the names to agree, so a spouse sharing a family email is never
-- linked to the other spouse. Names are compared normalised (sync.norm_name: trimmed,
-- lower-case, inner spaces collapsed); a local holder of the email agrees with the PCO
-- person when
--   1. the first names are equal (last names may differ: a married name, a hyphen); or,
--      with the last names equal,
--   2. one side's first name is the other side's nickname (local 'Bob', PCO 'Robert' with
--      nickname 'Bob'; or the other way round), or both have the same nickname; or
--   3. one first name is the other's initial ('J' or 'J.' and 'John').
-- Holders of the email whose names do not agree are no candidates. When nobody holding
-- the email agrees and name + birthdate finds nobody either, the PCO person goes to
-- review ('email matches a local person of another name', the holders as candidates):
-- neither linked to the other person nor created beside them.
--
-- remote_id: a PCO person whose remote_id names a local person the push asked PCO to create
-- (sync.sent_creates) is that person, whatever else matches or not: a kill between PCO's
-- answer and the push's save lost the link, and this pull finds the person first. Unlinked:
-- linked now, as the save would have. Linked to another PCO person, or deleted here: review,
-- never a new local person. A remote_id pco-sync never sent (an import from another system)
-- is no evidence: the ladder decides.
DROP TABLE IF EXISTS merge_people;
CREATE TEMP TABLE merge_people (
    pco_id      text PRIMARY KEY,
    person_id   bigint,
    outcome     text NOT NULL,   -- linked, link, created, needs_review, ignored; then updated/unchanged
    reason      text,
    candidates  bigint[],
    by_remote_id boolean NOT NULL DEFAULT false   -- the push's own mark found them
) ON COMMIT DROP;

INSERT INTO merge_people (pco_id, person_id, outcome)
SELECT s.pco_id, p.id, 'linked'
  FROM merge_people_stage s
  JOIN church.people p ON p.pco_id = s.pco_id;

WITH unlinked AS (
    SELECT s.pco_id, s.first_name, s.last_name, s.nickname, s.birthdate, s.remote_id
      FROM merge_people_stage s
     WHERE NOT EXISTS (SELECT 1 FROM merge_people m WHERE m.pco_id = s.pco_id)
),
by_remote_id AS (
    SELECT u.pco_id, p.id AS person_id
      FROM unlinked u
      JOIN sync.sent_creates c ON c.entity = 'person' AND c.local_id = u.remote_id
      LEFT JOIN church.people p ON p.id = c.local_id
),
email_holders AS (
    SELECT DISTINCT u.pco_id, le.person_id,
           (pf = lf
            OR (pl = ll AND (lf = pn OR pf = ln OR pn = ln
                             OR (lf ~ '^[[:alpha:]]\.?$' AND left(pf, 1) = left(lf, 1))
                             OR (pf ~ '^[[:alpha:]]\.?$' AND left(lf, 1) = left(pf, 1)))))
           IS TRUE AS names_agree
      FROM unlinked u
      JOIN merge_people_stage_emails se ON se.pco_id = u.pco_id
      JOIN church.emails le ON lower(btrim(le.address)) = se.address_norm
      JOIN church.people lp ON lp.id = le.person_id
     CROSS JOIN LATERAL (SELECT sync.norm_name(u.first_name) AS pf, sync.norm_name(u.last_name) AS pl,
                                sync.norm_name(u.nickname) AS pn, sync.norm_name(lp.first_name) AS lf,
                                sync.norm_name(lp.last_name) AS ll, sync.norm_name(lp.nickname) AS ln) n
),
by_email AS (
    SELECT pco_id,
           array_agg(person_id ORDER BY person_id) FILTER (WHERE names_agree) AS ids,
           array_agg(person_id ORDER BY person_id) AS holders
      FROM email_holders
     GROUP BY pco_id
),
by_name AS (
    SELECT u.pco_id, array_agg(p.id ORDER BY p.id) AS ids
      FROM unlinked u
      JOIN church.people p
        ON sync.norm_name(p.last_name) = sync.norm_name(u.last_name)
       AND sync.norm_name(p.first_name) = sync.norm_name(u.first_name)
       AND p.birthdate = u.birthdate
     WHERE u.birthdate IS NOT NULL
       -- A church with nobody yet (a first sync) skips normalising every PCO name.
       AND EXISTS (SELECT 1 FROM church.people)
     GROUP BY u.pco_id
),
-- Staff decisions (sync.resolve_match) outrank the ladder: link to the chosen candidate
-- (still only if free), or create.
staff AS (
    SELECT r.pco_id, r.decision, r.decided_person_id
      FROM sync.match_review r
     WHERE r.entity = 'person' AND r.resolved_at IS NULL AND r.decision IN ('link', 'create')
),
decided AS (
    SELECT u.pco_id,
           CASE WHEN st.decision = 'create' THEN NULL
                WHEN st.decision = 'link' THEN ARRAY[st.decided_person_id]
                WHEN r.pco_id IS NOT NULL
                     THEN CASE WHEN r.person_id IS NULL THEN '{}'::bigint[]
                               ELSE ARRAY[r.person_id] END
                WHEN cardinality(e.ids) = 1 THEN e.ids
                WHEN cardinality(e.ids) > 1 AND cardinality(n.ids) = 1
                     AND n.ids[1] = ANY (e.ids) THEN n.ids
                WHEN cardinality(e.ids) > 1 THEN e.ids
                WHEN e.holders IS NOT NULL AND n.ids IS NULL THEN e.holders
                ELSE n.ids
           END AS ids,
           st.decision IS NULL AND r.pco_id IS NULL AND e.ids IS NULL
               AND e.holders IS NOT NULL AND n.ids IS NULL AS names_differ,
           st.decision IS NULL AND r.pco_id IS NOT NULL AS by_remote_id
      FROM unlinked u
      LEFT JOIN by_remote_id r ON r.pco_id = u.pco_id
      LEFT JOIN by_email e ON e.pco_id = u.pco_id
      LEFT JOIN by_name n ON n.pco_id = u.pco_id
      LEFT JOIN staff st ON st.pco_id = u.pco_id
),
-- A free local person wanted by two PCO people of this run is not given to either; one
-- a remote_id names is given to no PCO person the ladder found.
claims AS (
    SELECT d.ids[1] AS person_id, count(*) AS claimants,
           count(*) FILTER (WHERE d.by_remote_id) AS remote_claims
      FROM decided d
     WHERE cardinality(d.ids) = 1 AND NOT d.names_differ
     GROUP BY d.ids[1]
),
verdicts AS (
    SELECT d.pco_id, d.ids, d.by_remote_id,
           CASE
           WHEN d.ids IS NULL THEN NULL
           WHEN d.by_remote_id AND p.id IS NULL
                THEN 'remote_id names a local person deleted here'
           WHEN d.by_remote_id AND p.pco_id IS NOT NULL
                THEN 'remote_id names a local person linked to another PCO person'
           WHEN d.by_remote_id AND c.remote_claims > 1
                THEN 'several PCO people match the same local person'
           WHEN d.by_remote_id THEN NULL
           WHEN d.names_differ THEN 'email matches a local person of another name'
           WHEN cardinality(d.ids) > 1 THEN 'several local candidates'
           WHEN p.pco_id IS NOT NULL THEN 'candidate already linked to another PCO person'
           WHEN c.claimants > 1 THEN 'several PCO people match the same local person'
           END AS reason
      FROM decided d
      LEFT JOIN claims c ON cardinality(d.ids) = 1 AND c.person_id = d.ids[1]
      LEFT JOIN church.people p ON cardinality(d.ids) = 1 AND p.id = d.ids[1]
)
-- Nobody matched: created in merge.sql, under an id drawn here from church.people's own sequence
-- (so no second pass over this table has to note the ids the insert made).
INSERT INTO merge_people (pco_id, person_id, outcome, reason, candidates, by_remote_id)
SELECT v.pco_id,
       CASE WHEN v.ids IS NULL
            THEN nextval((SELECT pg_get_serial_sequence('church.people', 'id')::regclass))
            WHEN v.reason IS NULL THEN v.ids[1] END,
       CASE WHEN v.ids IS NULL THEN 'created'
            WHEN v.reason IS NULL THEN 'link'
            ELSE 'needs_review' END,
       v.reason,
       v.ids,
       v.by_remote_id
  FROM verdicts v;

-- Link the single free candidates. Their fields merge next with nothing agreed yet.
UPDATE church.people p
   SET pco_id = m.pco_id
  FROM merge_people m
 WHERE m.outcome = 'link'
   AND p.id = m.person_id;

-- A link the push's save lost agrees on what the push sent (its journal row, which the
-- crash left), over PCO's values for fields it did not send, as that save would have: a
-- PCO edit since is then taken, not a conflict. Without the row, nothing is agreed yet.
INSERT INTO sync.agreed_people (person_id, pco_id, first_name, last_name, nickname,
                                middle_name, birthdate, gender, status, membership, child)
SELECT m.person_id, m.pco_id, x.first_name, x.last_name, x.nickname, x.middle_name,
       x.birthdate, x.gender, x.status, x.membership, x.child
  FROM merge_people m
  JOIN sync.push_pending j
    ON j.entity = 'person' AND j.operation = 'create' AND j.key = m.person_id::text
  JOIN pco_staging.people s
    ON s.run_id = current_setting('pco_sync.run_id') AND s.pco_id = m.pco_id
 CROSS JOIN LATERAL jsonb_populate_record(
           NULL::sync.agreed_people,
           sync.pco_person_fields((s.record -> 'attributes')
                                  || (j.body -> 'data' -> 'attributes'))) AS x
 WHERE m.outcome = 'link' AND m.by_remote_id
ON CONFLICT (person_id) DO UPDATE
   SET pco_id = excluded.pco_id, first_name = excluded.first_name,
       last_name = excluded.last_name, nickname = excluded.nickname,
       middle_name = excluded.middle_name, birthdate = excluded.birthdate,
       gender = excluded.gender, status = excluded.status,
       membership = excluded.membership, child = excluded.child, agreed_at = now();

-- Staff chose to ignore this PCO person (sync.ignore_match): no new review while the
-- reason and candidates are what they saw.
UPDATE merge_people m
   SET outcome = 'ignored'
 WHERE m.outcome = 'needs_review'
   AND EXISTS (SELECT 1 FROM sync.match_review r
                WHERE r.entity = 'person' AND r.pco_id = m.pco_id AND r.decision = 'ignore'
                  AND r.reason = m.reason AND r.candidates = m.candidates);

-- Review rows: one open row per PCO person, refreshed only when what it says changed. The
-- record shown is the one merged: this run's copy, or (merge_people_decided) the review's own
-- record or, under the people scope services_active, the latest copy of someone who entered
-- the scope (scope.sql).
INSERT INTO sync.match_review (run_id, pco_id, reason, candidates, payload)
SELECT current_setting('pco_sync.run_id'), m.pco_id, m.reason, m.candidates, s.record
  FROM merge_people m
  JOIN (SELECT s.pco_id, s.record FROM pco_staging.people s
         WHERE s.run_id = current_setting('pco_sync.run_id')
        UNION ALL
        SELECT d.pco_id, d.record FROM merge_people_decided d) s
    ON s.pco_id = m.pco_id
 WHERE m.outcome = 'needs_review'
ON CONFLICT (entity, pco_id) WHERE resolved_at IS NULL DO UPDATE
   SET run_id = excluded.run_id,
       reason = excluded.reason,
       candidates = excluded.candidates,
       payload = excluded.payload
 WHERE (sync.match_review.reason, sync.match_review.candidates, sync.match_review.payload)
       IS DISTINCT FROM (excluded.reason, excluded.candidates, excluded.payload);

-- A PCO person now linked or created no longer needs review.
UPDATE sync.match_review r
   SET resolved_at = now()
  FROM merge_people m
 WHERE r.entity = 'person'
   AND r.pco_id = m.pco_id
   AND r.resolved_at IS NULL
   AND m.outcome <> 'needs_review'
   -- a duplicate's review waits for staff whatever the link (repair_duplicates.sql)
   AND r.reason <> 'duplicate of the local person its remote_id names';
ANALYZE merge_people (pco_id, person_id, outcome);
