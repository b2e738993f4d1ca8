-- Local occurrences linked to PCO event instances and not known removed there.
SELECT occurrences.pco_id
  FROM church.event_occurrences AS occurrences
 WHERE occurrences.pco_id IS NOT NULL AND occurrences.removed_in_pco_at IS NULL
