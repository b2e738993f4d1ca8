-- The PCO person a contact belongs to, by the contact's PCO id, from the local copy: for a
-- contact delivery whose payload does not name its person (PCO's destroyed payloads carry
-- no attributes). kind: email, phone_number or address.
SELECT c.kind, c.pco_id, p.pco_id AS person_pco_id
  FROM (SELECT 'email' AS kind, e.pco_id, e.person_id FROM church.emails AS e
        UNION ALL
        SELECT 'phone_number', n.pco_id, n.person_id FROM church.phone_numbers AS n
        UNION ALL
        SELECT 'address', a.pco_id, a.person_id FROM church.addresses AS a) AS c
  JOIN unnest(%(kinds)s::text[], %(ids)s::text[]) AS wanted (kind, pco_id)
    ON wanted.kind = c.kind AND wanted.pco_id = c.pco_id
  JOIN church.people AS p ON p.id = c.person_id AND p.pco_id IS NOT NULL
