-- After the contact writes: move the agreed state, note conflicts, count people touched.

-- Inserted contacts agree on PCO's record. They had no agreed state (contacts_compare.sql only inserts
-- then), so a plain INSERT: no conflict handling to pay for on a first sync.
INSERT INTO sync.agreed_contacts (kind, pco_id, person_id, local_id, fields)
SELECT kind, pco_id, person_id, local_id, pco_fields
  FROM merge_contact_pairs
 WHERE action = 'insert';

-- Merged pairs agree on the fields both sides now hold.
WITH merged AS (
    SELECT kind, local_id, jsonb_object_agg(field, agreed_value) AS fields
      FROM merge_contact_fields
     GROUP BY kind, local_id
)
INSERT INTO sync.agreed_contacts (kind, pco_id, person_id, local_id, fields)
SELECT c.kind, c.pco_id, c.person_id, c.local_id, m.fields
  FROM merge_contact_pairs c
  JOIN merged m ON m.kind = c.kind AND m.local_id = c.local_id
 WHERE c.action = 'merge'
ON CONFLICT (kind, pco_id) DO UPDATE
   SET person_id = excluded.person_id, local_id = excluded.local_id,
       fields = excluded.fields, agreed_at = now()
 WHERE (sync.agreed_contacts.person_id, sync.agreed_contacts.local_id, sync.agreed_contacts.fields)
       IS DISTINCT FROM (excluded.person_id, excluded.local_id, excluded.fields);

-- Deleted on both sides now: nothing left to agree about.
DELETE FROM sync.agreed_contacts a
 USING merge_contact_pairs c
 WHERE c.action = 'delete' AND a.kind = c.kind AND a.pco_id = c.pco_id;

DELETE FROM sync.agreed_contacts a
 USING merge_contacts_scope s
 WHERE a.person_id = s.person_id AND a.kind = s.kind
   AND NOT EXISTS (SELECT 1 FROM merge_contacts_pco p WHERE p.kind = a.kind AND p.pco_id = a.pco_id)
   AND NOT EXISTS (SELECT 1 FROM merge_contacts_local l WHERE l.kind = a.kind AND l.pco_id = a.pco_id)
   -- PCO still has a quarantined contact: its agreement stays (a local delete still pushes).
   AND NOT EXISTS (SELECT 1 FROM merge_people_quarantined_contacts q
                    WHERE q.kind = a.kind AND q.pco_id = a.pco_id);

INSERT INTO merge_field_checks (entity, local_id, pco_id, field, conflict,
                                base_value, pco_value, local_value, policy, winner)
SELECT kind, local_id, pco_id, field, conflict, base_value, pco_value, local_value,
       policy, winner
  FROM merge_contact_fields
UNION ALL
-- PCO deleted a contact that was changed locally since: keep it, let someone decide
-- (whatever the policy: deleting or re-creating is staff's call).
SELECT c.kind, c.local_id, c.pco_id, 'deleted in PCO', true,
       c.base_fields::text, NULL, c.local_fields::text, NULL, NULL
  FROM merge_contact_pairs c
 WHERE c.action = 'keep_local';

-- People whose contacts this run wrote: updated, inserted or deleted (the apply_* steps).
UPDATE merge_people m
   SET outcome = 'updated'
 WHERE m.outcome = 'unchanged'
   AND m.person_id IN (SELECT person_id FROM merge_contact_writes
                       UNION ALL
                       SELECT person_id FROM merge_contact_pairs WHERE action = 'insert');
