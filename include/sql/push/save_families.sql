-- Saved outcomes of household writes (push_results): links, agreed states, agreed members.
-- A household created without a name got PCO's ("Lee Household"): the family takes it, so
-- the next pull finds both sides agreeing. One found in PCO agrees on what PCO holds.

UPDATE push_results r
   SET ok = false, status = NULL,
       detail = 'PCO household ' || r.pco_id || ' is already linked to local family ' || f.id
  FROM church.families f
 WHERE r.entity = 'family' AND r.operation = 'create' AND r.ok
   AND f.pco_id = r.pco_id AND f.id <> r.local_id;

UPDATE church.families f
   SET pco_id = r.pco_id,
       name = coalesce(f.name, r.response -> 'data' -> 'attributes' ->> 'name')
  FROM push_results r
 WHERE r.entity = 'family' AND r.operation = 'create' AND r.ok
   AND f.id = r.local_id AND f.pco_id IS NULL;

DELETE FROM sync.agreed_families a
 USING push_results r
 WHERE r.entity = 'family' AND r.operation = 'create' AND r.ok
   AND a.pco_id = r.pco_id AND a.family_id <> r.local_id;

INSERT INTO sync.agreed_families (family_id, pco_id, fields)
SELECT r.local_id, r.pco_id,
       CASE WHEN r.found
            THEN jsonb_build_object('name', r.response -> 'data' -> 'attributes' ->> 'name',
                                    'primary_contact',
                                    r.response -> 'data' -> 'attributes' ->> 'primary_contact_id')
            ELSE jsonb_build_object('name', coalesce(r.sent ->> 'name',
                                                     r.response -> 'data' -> 'attributes' ->> 'name'),
                                    'primary_contact', r.sent ->> 'primary_contact') END
  FROM push_results r
  JOIN church.families f ON f.id = r.local_id AND f.pco_id = r.pco_id
 WHERE r.entity = 'family' AND r.operation = 'create' AND r.ok
ON CONFLICT (family_id) DO UPDATE
   SET pco_id = excluded.pco_id, fields = excluded.fields, agreed_at = now();

INSERT INTO sync.agreed_family_members (family_id, person_pco_id)
SELECT r.local_id, x.person_pco_id
  FROM push_results r
  JOIN church.families f ON f.id = r.local_id AND f.pco_id = r.pco_id
 CROSS JOIN LATERAL jsonb_array_elements_text(r.sent -> 'people') AS x(person_pco_id)
 WHERE r.entity = 'family' AND r.operation = 'create' AND r.ok
ON CONFLICT DO NOTHING;

UPDATE sync.agreed_families a
   SET fields = a.fields || r.sent, agreed_at = now()
  FROM push_results r
 WHERE r.entity = 'family' AND r.operation = 'update' AND r.ok
   AND a.family_id = r.local_id AND a.pco_id = r.pco_id;

INSERT INTO sync.agreed_family_members (family_id, person_pco_id)
SELECT r.local_id, r.sent ->> 'person'
  FROM push_results r
 WHERE r.entity = 'family_member' AND r.operation = 'add' AND r.ok
ON CONFLICT DO NOTHING;

DELETE FROM sync.agreed_family_members a
 USING push_results r
 WHERE r.entity = 'family_member' AND r.operation = 'remove' AND r.ok
   AND a.family_id = r.local_id AND a.person_pco_id = r.sent ->> 'person';
