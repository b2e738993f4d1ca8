-- Households are always read whole: a linked family whose household PCO no longer returns
-- was deleted there (see merge/people/removed.sql). The family and its members stay.
WITH snapshot AS (
    SELECT run_id
      FROM pco_staging.extracts
     WHERE run_id = current_setting('pco_sync.run_id')
       AND stream = 'households'
       AND mode = 'snapshot'
)
INSERT INTO sync.removed_in_pco (entity, local_id, pco_id, reason, run_id)
SELECT 'family', f.id, f.pco_id, 'absent from full snapshot', snapshot.run_id
  FROM church.families AS f
 CROSS JOIN snapshot
 WHERE f.pco_id IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM pco_staging.households AS s
                    WHERE s.run_id = snapshot.run_id AND s.pco_id = f.pco_id)
ON CONFLICT (entity, local_id) WHERE resolved_at IS NULL DO NOTHING;

-- A linked household PCO answered 404 for when asked by id (a webhook delivery about it:
-- pco_sync.webhooks) was deleted there, as the next snapshot would find.
INSERT INTO sync.removed_in_pco (entity, local_id, pco_id, reason, run_id)
SELECT 'family', f.id, f.pco_id, 'deleted in PCO (404 when asked)', gone.run_id
  FROM pco_staging.gone AS gone
  JOIN church.families AS f ON f.pco_id = gone.pco_id
 WHERE gone.run_id = current_setting('pco_sync.run_id') AND gone.stream = 'households'
ON CONFLICT (entity, local_id) WHERE resolved_at IS NULL DO NOTHING;

UPDATE sync.removed_in_pco AS r
   SET resolved_at = now()
  FROM church.families AS f
 WHERE r.entity = 'family' AND r.resolved_at IS NULL
   AND r.local_id = f.id
   AND EXISTS (SELECT 1 FROM pco_staging.households AS s
                WHERE s.run_id = current_setting('pco_sync.run_id') AND s.pco_id = f.pco_id);
