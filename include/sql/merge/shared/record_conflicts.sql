-- Conflicts a policy settled (merge_field_checks.policy): recorded closed, with resolution
-- 'policy:<name>' and resolved_by 'policy', and logged in sync.resolution_log (action
-- 'policy:<name>', after.winner the side it chose), so staff see what a policy decided in
-- sync.conflicts and in sync.resolution_history. An open conflict of that field (from a
-- run before the policy) is the row closed; else a new, closed row is added.
WITH closed AS (
    UPDATE sync.conflicts c
       SET pco_id = f.pco_id, base_value = f.base_value, pco_value = f.pco_value,
           local_value = f.local_value, run_id = current_setting('pco_sync.run_id'),
           resolved_at = now(), resolution = 'policy:' || f.policy, resolved_by = 'policy'
      FROM merge_field_checks f
     WHERE f.policy IS NOT NULL
       AND c.resolved_at IS NULL
       AND c.entity = f.entity AND c.local_id = f.local_id AND c.field = f.field
    RETURNING c.id, c.entity, c.local_id, c.field
),
added AS (
    INSERT INTO sync.conflicts (entity, local_id, pco_id, field, base_value, pco_value,
                                local_value, run_id, resolved_at, resolution, resolved_by)
    SELECT f.entity, f.local_id, f.pco_id, f.field, f.base_value, f.pco_value, f.local_value,
           current_setting('pco_sync.run_id'), now(), 'policy:' || f.policy, 'policy'
      FROM merge_field_checks f
     WHERE f.policy IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM closed x
                        WHERE x.entity = f.entity AND x.local_id = f.local_id
                          AND x.field = f.field)
    RETURNING id, entity, local_id, field
)
INSERT INTO sync.resolution_log (actor, action, entity, local_id, pco_id, field,
                                 subject_id, before, after)
SELECT 'policy', 'policy:' || f.policy, f.entity, f.local_id, f.pco_id, f.field, s.id,
       jsonb_build_object('local', f.local_value, 'pco', f.pco_value, 'agreed', f.base_value),
       jsonb_build_object('local', CASE f.winner WHEN 'pco' THEN f.pco_value
                                   ELSE f.local_value END,
                          'agreed', f.pco_value, 'winner', f.winner)
  FROM (SELECT * FROM closed UNION ALL SELECT * FROM added) s
  JOIN merge_field_checks f
    ON f.entity = s.entity AND f.local_id = s.local_id AND f.field = s.field
   AND f.policy IS NOT NULL;

-- Conflicts: one open row per record and field, refreshed only when its values changed.
INSERT INTO sync.conflicts (entity, local_id, pco_id, field, base_value, pco_value,
                            local_value, run_id)
SELECT entity, local_id, pco_id, field, base_value, pco_value, local_value,
       current_setting('pco_sync.run_id')
  FROM merge_field_checks
 WHERE conflict
ON CONFLICT (entity, local_id, field) WHERE resolved_at IS NULL DO UPDATE
   SET pco_id = excluded.pco_id,
       base_value = excluded.base_value,
       pco_value = excluded.pco_value,
       local_value = excluded.local_value,
       run_id = excluded.run_id
 WHERE (sync.conflicts.base_value, sync.conflicts.pco_value, sync.conflicts.local_value)
       IS DISTINCT FROM (excluded.base_value, excluded.pco_value, excluded.local_value);

-- One side gave way (or both now agree): the open conflict is over.
UPDATE sync.conflicts c
   SET resolved_at = now()
  FROM merge_field_checks f
 WHERE c.resolved_at IS NULL
   AND c.entity = f.entity
   AND c.local_id = f.local_id
   AND c.field = f.field
   AND NOT f.conflict;
