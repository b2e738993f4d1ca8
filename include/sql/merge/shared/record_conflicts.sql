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
