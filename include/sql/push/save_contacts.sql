-- Saved outcomes of contact writes (push_results): links and agreed states. A created
-- contact agrees on what was sent; one found in PCO (an earlier attempt's) on what PCO
-- holds; a patch moves the fields it sent; a delete ends the agreement.

-- Never link one PCO contact to two local rows.
UPDATE push_results r
   SET ok = false, status = NULL,
       detail = 'PCO ' || r.entity || ' ' || r.pco_id || ' is already linked to local '
                || r.entity || ' ' || l.id
  FROM (SELECT 'email' AS kind, id, pco_id FROM church.emails
        UNION ALL SELECT 'phone_number', id, pco_id FROM church.phone_numbers
        UNION ALL SELECT 'address', id, pco_id FROM church.addresses) l
 WHERE r.operation = 'create' AND r.ok AND r.entity = l.kind
   AND l.pco_id = r.pco_id AND l.id <> r.local_id;

UPDATE church.emails t SET pco_id = r.pco_id
  FROM push_results r
 WHERE r.entity = 'email' AND r.operation = 'create' AND r.ok
   AND t.id = r.local_id AND t.pco_id IS NULL;
UPDATE church.phone_numbers t SET pco_id = r.pco_id
  FROM push_results r
 WHERE r.entity = 'phone_number' AND r.operation = 'create' AND r.ok
   AND t.id = r.local_id AND t.pco_id IS NULL;
UPDATE church.addresses t SET pco_id = r.pco_id
  FROM push_results r
 WHERE r.entity = 'address' AND r.operation = 'create' AND r.ok
   AND t.id = r.local_id AND t.pco_id IS NULL;

INSERT INTO sync.agreed_contacts (kind, pco_id, person_id, local_id, fields)
SELECT r.entity, r.pco_id, r.subject, r.local_id,
       CASE WHEN r.found
            THEN sync.pco_contact_fields(r.entity, r.response -> 'data' -> 'attributes')
            ELSE r.sent END
  FROM push_results r
 WHERE r.operation = 'create' AND r.ok
ON CONFLICT (kind, pco_id) DO UPDATE
   SET person_id = excluded.person_id, local_id = excluded.local_id,
       fields = excluded.fields, agreed_at = now();

UPDATE sync.agreed_contacts a
   SET fields = a.fields || r.sent, agreed_at = now()
  FROM push_results r
 WHERE r.operation = 'update' AND r.ok
   AND a.kind = r.entity AND a.pco_id = r.pco_id;

DELETE FROM sync.agreed_contacts a
 USING push_results r
 WHERE r.operation = 'delete' AND r.ok
   AND a.kind = r.entity AND a.pco_id = r.pco_id;
