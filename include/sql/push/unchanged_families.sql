-- Linked families this push did not touch (the parameter: the ids it touched).
SELECT count(*) FROM church.families AS families
 WHERE families.pco_id IS NOT NULL AND families.id <> ALL (%s)
