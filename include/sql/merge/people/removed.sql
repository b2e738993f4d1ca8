-- On a full people pull (a snapshot that passed the quality gate), a linked person PCO no
-- longer returns was deleted there. The local person stays; the open row tells staff, and
-- keeps the push from re-creating them. Back in a later snapshot: the row is resolved.
WITH snapshot AS (
    SELECT run_id
      FROM pco_staging.extracts
     WHERE run_id = current_setting('pco_sync.run_id')
       AND stream = 'people'
       AND mode = 'snapshot'
)
INSERT INTO sync.removed_in_pco (entity, local_id, pco_id, reason, run_id)
SELECT 'person', p.id, p.pco_id, 'absent from full snapshot', snapshot.run_id
  FROM church.people AS p
 CROSS JOIN snapshot
 WHERE p.pco_id IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM pco_staging.people AS s
                    WHERE s.run_id = snapshot.run_id AND s.pco_id = p.pco_id)
ON CONFLICT (entity, local_id) WHERE resolved_at IS NULL DO NOTHING;

-- A linked person PCO answered 404 for when asked by id (a webhook delivery about them:
-- pco_sync.webhooks) was deleted there, as a full pull would find. A person merged away in
-- PCO is not: follow_pco_merges.sql has moved their link to the kept id already.
INSERT INTO sync.removed_in_pco (entity, local_id, pco_id, reason, run_id)
SELECT 'person', p.id, p.pco_id, 'deleted in PCO (404 when asked)', gone.run_id
  FROM pco_staging.gone AS gone
  JOIN church.people AS p ON p.pco_id = gone.pco_id
 WHERE gone.run_id = current_setting('pco_sync.run_id') AND gone.stream = 'people'
ON CONFLICT (entity, local_id) WHERE resolved_at IS NULL DO NOTHING;

UPDATE sync.removed_in_pco AS r
   SET resolved_at = now()
  FROM church.people AS p
 WHERE r.entity = 'person' AND r.resolved_at IS NULL
   AND r.local_id = p.id
   AND EXISTS (SELECT 1 FROM pco_staging.people AS s
                WHERE s.run_id = current_setting('pco_sync.run_id') AND s.pco_id = p.pco_id);
