-- Saved outcomes of person creates and patches (push_results): the link and the agreed
-- state, so the next pull finds PCO equal to it (no echo). A created person's agreed state
-- is what was sent, and PCO's answer for the fields not sent; a person found by the
-- remote_id lookup (an earlier attempt's) agrees on what PCO holds, so any local change
-- since is patched next.

-- Never link one PCO person twice: that outcome becomes a failure someone looks at.
UPDATE push_results r
   SET ok = false, status = NULL,
       detail = 'PCO person ' || r.pco_id || ' (remote_id ' || r.local_id
                || ') is already linked to local person ' || p.id
  FROM church.people p
 WHERE r.entity = 'person' AND r.operation = 'create' AND r.ok
   AND p.pco_id = r.pco_id AND p.id <> r.local_id;

UPDATE church.people p
   SET pco_id = r.pco_id
  FROM push_results r
 WHERE r.entity = 'person' AND r.operation = 'create' AND r.ok
   AND p.id = r.local_id AND p.pco_id IS NULL;

DELETE FROM sync.agreed_people a
 USING push_results r
 WHERE r.entity = 'person' AND r.operation = 'create' AND r.ok
   AND a.pco_id = r.pco_id AND a.person_id <> r.local_id;

INSERT INTO sync.agreed_people (person_id, pco_id, first_name, last_name, nickname,
                                middle_name, birthdate, gender, status, membership, child)
SELECT r.local_id, r.pco_id, x.first_name, x.last_name, x.nickname, x.middle_name,
       x.birthdate, x.gender, x.status, x.membership, x.child
  FROM push_results r
  JOIN church.people p ON p.id = r.local_id AND p.pco_id = r.pco_id
 CROSS JOIN LATERAL jsonb_populate_record(
           NULL::sync.agreed_people,
           sync.pco_person_fields(r.response -> 'data' -> 'attributes')
             || CASE WHEN r.found THEN '{}' ELSE r.sent END) AS x
 WHERE r.entity = 'person' AND r.operation = 'create' AND r.ok
ON CONFLICT (person_id) DO UPDATE
   SET pco_id = excluded.pco_id, first_name = excluded.first_name,
       last_name = excluded.last_name, nickname = excluded.nickname,
       middle_name = excluded.middle_name, birthdate = excluded.birthdate,
       gender = excluded.gender, status = excluded.status,
       membership = excluded.membership, child = excluded.child, agreed_at = now();

-- A patch moves exactly the fields it sent.
UPDATE sync.agreed_people a
   SET first_name  = CASE WHEN r.sent ? 'first_name'  THEN r.sent ->> 'first_name'  ELSE a.first_name END,
       last_name   = CASE WHEN r.sent ? 'last_name'   THEN r.sent ->> 'last_name'   ELSE a.last_name END,
       nickname    = CASE WHEN r.sent ? 'nickname'    THEN r.sent ->> 'nickname'    ELSE a.nickname END,
       middle_name = CASE WHEN r.sent ? 'middle_name' THEN r.sent ->> 'middle_name' ELSE a.middle_name END,
       birthdate   = CASE WHEN r.sent ? 'birthdate'   THEN (r.sent ->> 'birthdate')::date ELSE a.birthdate END,
       gender      = CASE WHEN r.sent ? 'gender'      THEN r.sent ->> 'gender'      ELSE a.gender END,
       status      = CASE WHEN r.sent ? 'status'      THEN r.sent ->> 'status'      ELSE a.status END,
       membership  = CASE WHEN r.sent ? 'membership'  THEN r.sent ->> 'membership'  ELSE a.membership END,
       child       = CASE WHEN r.sent ? 'child'       THEN (r.sent ->> 'child')::boolean ELSE a.child END,
       agreed_at   = now()
  FROM push_results r
 WHERE r.entity = 'person' AND r.operation = 'update' AND r.ok
   AND a.person_id = r.local_id AND a.pco_id = r.pco_id;
