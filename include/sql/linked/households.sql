-- Local families linked to PCO households: a whole households read must account for them.
SELECT families.pco_id FROM church.families AS families WHERE families.pco_id IS NOT NULL
