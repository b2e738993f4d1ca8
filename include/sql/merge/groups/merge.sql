-- Groups by PCO id: create new ones, take PCO's name, description, schedule and archived
-- state (PCO owns its groups; the push writes memberships only). The department follows
-- the group type only when the type changes in PCO, so a local move is kept.
DROP TABLE IF EXISTS merge_groups;
CREATE TEMP TABLE merge_groups (
    pco_id    text PRIMARY KEY,
    group_id  bigint,
    outcome   text NOT NULL   -- linked, new, then created/updated/unchanged; removed
) ON COMMIT DROP;

INSERT INTO merge_groups (pco_id, group_id, outcome)
SELECT s.pco_id, g.id, CASE WHEN g.id IS NULL THEN 'new' ELSE 'linked' END
  FROM merge_groups_stage s
  LEFT JOIN church.groups g ON g.pco_type = 'Group' AND g.pco_id = s.pco_id;

WITH created AS (
    INSERT INTO church.groups (pco_type, pco_id, name, description, schedule, archived_at,
                               pco_group_type_id, department_id)
    SELECT 'Group', s.pco_id, s.name, s.description, s.schedule, s.archived_at,
           s.type_pco_id, d.department_id
      FROM merge_groups m
      JOIN merge_groups_stage s USING (pco_id)
      JOIN merge_group_departments d USING (pco_id)
     WHERE m.outcome = 'new'
    RETURNING id, pco_id
)
UPDATE merge_groups m
   SET group_id = c.id, outcome = 'created'
  FROM created c
 WHERE m.pco_id = c.pco_id;

WITH updated AS (
    UPDATE church.groups g
       SET name = s.name, description = s.description, schedule = s.schedule,
           archived_at = s.archived_at, pco_group_type_id = s.type_pco_id,
           department_id = CASE WHEN g.pco_group_type_id IS DISTINCT FROM s.type_pco_id
                                THEN d.department_id ELSE g.department_id END,
           deleted_in_pco_at = NULL
      FROM merge_groups m
      JOIN merge_groups_stage s USING (pco_id)
      JOIN merge_group_departments d USING (pco_id)
     WHERE m.outcome = 'linked' AND g.id = m.group_id
       AND (g.name, g.description, g.schedule, g.archived_at, g.pco_group_type_id,
            g.deleted_in_pco_at)
           IS DISTINCT FROM (s.name, s.description, s.schedule, s.archived_at, s.type_pco_id,
                             NULL::timestamptz)
    RETURNING g.id
)
UPDATE merge_groups m
   SET outcome = 'updated'
  FROM updated u
 WHERE m.group_id = u.id;

UPDATE merge_groups SET outcome = 'unchanged' WHERE outcome = 'linked';

-- Back in PCO after all: the removal record is closed.
UPDATE sync.removed_in_pco r
   SET resolved_at = now()
  FROM merge_groups m
 WHERE r.entity = 'group' AND r.local_id = m.group_id AND r.resolved_at IS NULL;

-- Gone: missing from the snapshot and 404 when asked (pco_staging.gone). Kept and marked;
-- merge/shared/memberships_apply.sql ends its memberships.
WITH gone AS (
    UPDATE church.groups g
       SET deleted_in_pco_at = now()
      FROM pco_staging.gone x
     WHERE x.run_id = current_setting('pco_sync.run_id') AND x.stream = 'groups'
       AND g.pco_type = 'Group' AND g.pco_id = x.pco_id AND g.deleted_in_pco_at IS NULL
    RETURNING g.id, g.pco_id
)
INSERT INTO merge_groups (pco_id, group_id, outcome)
SELECT pco_id, id, 'removed' FROM gone;

INSERT INTO sync.removed_in_pco (entity, local_id, pco_id, reason, run_id)
SELECT 'group', group_id, pco_id, 'absent from full snapshot; 404 when asked',
       current_setting('pco_sync.run_id')
  FROM merge_groups
 WHERE outcome = 'removed'
ON CONFLICT (entity, local_id) WHERE resolved_at IS NULL DO NOTHING;
