-- Local people linked to PCO: a whole people read must account for them.
SELECT people.pco_id FROM church.people AS people WHERE people.pco_id IS NOT NULL
