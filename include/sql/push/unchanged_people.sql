-- Linked people this push did not touch (the parameter: the ids it touched).
SELECT count(*) FROM church.people AS people
 WHERE people.pco_id IS NOT NULL AND people.id <> ALL (%s)
