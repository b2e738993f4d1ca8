-- Local groups linked to PCO groups and not known deleted there.
SELECT groups.pco_id
  FROM church.groups AS groups
 WHERE groups.pco_type = 'Group' AND groups.pco_id IS NOT NULL
   AND groups.deleted_in_pco_at IS NULL
