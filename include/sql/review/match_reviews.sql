-- Open match reviews, newest first: the PCO record as staged (name, birthdate, emails, phone
-- numbers) and each local candidate side by side (name, birthdate, emails, phone numbers,
-- family). A family review's candidates are families (name and members).
WITH open_reviews AS (
    SELECT m.id, m.entity, m.run_id, m.pco_id, m.reason, m.candidates, m.payload,
           m.created_at, m.decision, m.decided_person_id, m.decided_by
      FROM sync.match_review AS m
     WHERE m.resolved_at IS NULL
),

pco_side AS (
    SELECT r.id,
           coalesce(nullif(concat_ws(' ', r.payload -> 'attributes' ->> 'first_name',
                                     r.payload -> 'attributes' ->> 'last_name'), ''),
                    r.payload -> 'attributes' ->> 'name', '(no name)') AS pco_name,
           r.payload -> 'attributes' ->> 'birthdate' AS pco_birthdate,
           r.payload -> 'attributes' ->> 'gender' AS pco_gender,
           ARRAY(SELECT i -> 'attributes' ->> 'address'
                   FROM jsonb_array_elements(CASE WHEN jsonb_typeof(r.payload -> 'included' -> 'emails') = 'array'
                                                  THEN r.payload -> 'included' -> 'emails'
                                                  ELSE '[]'::jsonb END) AS i) AS pco_emails,
           ARRAY(SELECT i -> 'attributes' ->> 'number'
                   FROM jsonb_array_elements(CASE WHEN jsonb_typeof(r.payload -> 'included' -> 'phone_numbers') = 'array'
                                                  THEN r.payload -> 'included' -> 'phone_numbers'
                                                  ELSE '[]'::jsonb END) AS i) AS pco_phone_numbers
      FROM open_reviews AS r
),

person_candidates AS (
    SELECT r.id,
           jsonb_agg(jsonb_build_object(
               'id', p.id,
               'name', concat_ws(' ', p.first_name, p.last_name),
               'birthdate', p.birthdate,
               'pco_id', p.pco_id,
               'emails', (SELECT coalesce(jsonb_agg(e.address ORDER BY e.is_primary DESC, e.id), '[]')
                            FROM church.emails AS e WHERE e.person_id = p.id),
               'phone_numbers', (SELECT coalesce(jsonb_agg(n.number ORDER BY n.is_primary DESC, n.id), '[]')
                                   FROM church.phone_numbers AS n WHERE n.person_id = p.id),
               'family', (SELECT string_agg(f.name, ', ' ORDER BY f.id)
                            FROM church.family_members AS fm
                            JOIN church.families AS f ON f.id = fm.family_id
                           WHERE fm.person_id = p.id))
               ORDER BY c.ord) AS candidates
      FROM open_reviews AS r
     CROSS JOIN LATERAL unnest(r.candidates) WITH ORDINALITY AS c(person_id, ord)
      JOIN church.people AS p ON p.id = c.person_id
     WHERE r.entity = 'person'
     GROUP BY r.id
),

family_candidates AS (
    SELECT r.id,
           jsonb_agg(jsonb_build_object(
               'id', f.id,
               'name', f.name,
               'pco_id', f.pco_id,
               'members', (SELECT coalesce(jsonb_agg(concat_ws(' ', p.first_name, p.last_name)
                                                     ORDER BY p.id), '[]')
                             FROM church.family_members AS fm
                             JOIN church.people AS p ON p.id = fm.person_id
                            WHERE fm.family_id = f.id))
               ORDER BY c.ord) AS candidates
      FROM open_reviews AS r
     CROSS JOIN LATERAL unnest(r.candidates) WITH ORDINALITY AS c(family_id, ord)
      JOIN church.families AS f ON f.id = c.family_id
     WHERE r.entity = 'family'
     GROUP BY r.id
)

SELECT r.id, r.entity, r.run_id, r.pco_id, r.reason, r.created_at,
       r.decision, r.decided_person_id, r.decided_by,
       s.pco_name, s.pco_birthdate, s.pco_gender, s.pco_emails, s.pco_phone_numbers,
       coalesce(pc.candidates, fc.candidates, '[]'::jsonb) AS candidates
  FROM open_reviews AS r
  JOIN pco_side AS s USING (id)
  LEFT JOIN person_candidates AS pc USING (id)
  LEFT JOIN family_candidates AS fc USING (id)
 ORDER BY r.created_at DESC, r.id DESC
 LIMIT %(limit)s
