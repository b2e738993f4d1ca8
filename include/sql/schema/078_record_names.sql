-- What a person calls a local record, for the PCO Sync page and its decision history:
-- "Ann Lee", "Lee family", "Ann Lee: ann@example.org", "Ann Lee in Youth Group" (NULL when
-- the record is gone). One place, so every list names records the same way.
CREATE OR REPLACE FUNCTION sync.record_name(entity text, local_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE entity
        WHEN 'person' THEN
            (SELECT nullif(concat_ws(' ', p.first_name, p.last_name), '')
               FROM church.people AS p WHERE p.id = local_id)
        WHEN 'family' THEN
            (SELECT f.name FROM church.families AS f WHERE f.id = local_id)
        WHEN 'family_member' THEN
            (SELECT f.name FROM church.families AS f WHERE f.id = local_id)
        WHEN 'email' THEN
            (SELECT concat_ws(': ', concat_ws(' ', p.first_name, p.last_name), e.address)
               FROM church.emails AS e JOIN church.people AS p ON p.id = e.person_id
              WHERE e.id = local_id)
        WHEN 'phone_number' THEN
            (SELECT concat_ws(': ', concat_ws(' ', p.first_name, p.last_name), n.number)
               FROM church.phone_numbers AS n JOIN church.people AS p ON p.id = n.person_id
              WHERE n.id = local_id)
        WHEN 'address' THEN
            (SELECT concat_ws(': ', concat_ws(' ', p.first_name, p.last_name),
                              concat_ws(', ', a.street_line_1, a.city))
               FROM church.addresses AS a JOIN church.people AS p ON p.id = a.person_id
              WHERE a.id = local_id)
        WHEN 'group_membership' THEN
            (SELECT concat_ws(' in ', concat_ws(' ', p.first_name, p.last_name), g.name)
               FROM church.group_memberships AS m
               JOIN church.people AS p ON p.id = m.person_id
               JOIN church.groups AS g ON g.id = m.group_id
              WHERE m.id = local_id)
    END
$$;
