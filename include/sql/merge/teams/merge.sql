-- Teams by PCO id into church.groups (pco_type 'Team'), each in its service type's
-- department under "PCO Services Teams" (team_departments.sql), with their positions. The
-- department follows the team's service type only when that changes in PCO, so staff may
-- move a team to a department of their own; pco_service_type_id is PCO's service type as
-- last merged, on every live team, and pco_department_id where this merge last put it. A
-- team PCO deleted (it lingers with deleted_at for 30 days), or one that is missing and
-- 404s, is kept and marked; shared/memberships_apply.sql ends its memberships. Never an
-- error.
DROP TABLE IF EXISTS merge_teams;
CREATE TEMP TABLE merge_teams (
    pco_id    text PRIMARY KEY,
    group_id  bigint,
    outcome   text NOT NULL   -- linked, new, skipped, then created/updated/unchanged; removed
) ON COMMIT DROP;

INSERT INTO merge_teams (pco_id, group_id, outcome)
SELECT s.pco_id, g.id,
       CASE WHEN g.id IS NOT NULL THEN 'linked'
            WHEN s.deleted_at IS NULL THEN 'new'
            ELSE 'skipped' END   -- deleted before we ever saw it: nothing to keep
  FROM merge_teams_stage s
  LEFT JOIN church.groups g ON g.pco_type = 'Team' AND g.pco_id = s.pco_id;

WITH created AS (
    INSERT INTO church.groups (pco_type, pco_id, name, archived_at, pco_service_type_id,
                               department_id, pco_department_id)
    SELECT 'Team', s.pco_id, s.name, s.archived_at, s.service_type_pco_id, td.department_id,
           td.department_id
      FROM merge_teams m
      JOIN merge_teams_stage s USING (pco_id)
      JOIN merge_team_departments td USING (pco_id)
     WHERE m.outcome = 'new'
    RETURNING id, pco_id
)
UPDATE merge_teams m
   SET group_id = c.id, outcome = 'created'
  FROM created c
 WHERE m.pco_id = c.pco_id;

-- Marked deleted now (deleted_at newly set in PCO) is 'removed'; other changes 'updated'.
-- The department moves when the service type changed in PCO (a database from before
-- migration 079 has none recorded: its teams move into their service types once), or when
-- the team waits directly under "PCO Services Teams" (or in no department), where this
-- merge put it (pco_department_id), for a service type department there now is. A team
-- staff moved, to the top included, stays.
WITH moves AS (
    SELECT m.group_id, s.name, s.archived_at, s.deleted_at, s.service_type_pco_id,
           td.department_id AS pco_place, g.department_id, g.pco_department_id,
           g.pco_service_type_id IS DISTINCT FROM s.service_type_pco_id
             OR (td.in_service_type
                 AND g.department_id IS NOT DISTINCT FROM g.pco_department_id
                 AND coalesce(g.department_id, td.root_id) = td.root_id) AS moves
      FROM merge_teams m
      JOIN merge_teams_stage s USING (pco_id)
      JOIN merge_team_departments td USING (pco_id)
      JOIN church.groups g ON g.id = m.group_id
     WHERE m.outcome = 'linked'
),
placed AS (
    SELECT group_id, name, archived_at, deleted_at, service_type_pco_id,
           CASE WHEN moves THEN pco_place ELSE department_id END AS department_id,
           CASE WHEN moves THEN pco_place ELSE pco_department_id END AS pco_department_id
      FROM moves
),
updated AS (
    UPDATE church.groups g
       SET name = p.name, archived_at = p.archived_at, deleted_in_pco_at = p.deleted_at,
           pco_service_type_id = p.service_type_pco_id, department_id = p.department_id,
           pco_department_id = p.pco_department_id
      FROM placed p
      JOIN church.groups old ON old.id = p.group_id   -- the row as it was
     WHERE g.id = p.group_id
       AND (g.name, g.archived_at, g.deleted_in_pco_at, g.pco_service_type_id, g.department_id,
            g.pco_department_id)
           IS DISTINCT FROM (p.name, p.archived_at, p.deleted_at, p.service_type_pco_id,
                             p.department_id, p.pco_department_id)
    RETURNING g.id, (p.deleted_at IS NOT NULL AND old.deleted_in_pco_at IS NULL) AS removed
)
UPDATE merge_teams m
   SET outcome = CASE WHEN u.removed THEN 'removed' ELSE 'updated' END
  FROM updated u
 WHERE m.group_id = u.id;

-- Positions of live teams: PCO's list, by PCO id.
WITH upserted AS (
    INSERT INTO church.group_positions AS gp (group_id, pco_id, name, sequence)
    SELECT m.group_id, p.pco_id, p.name, p.sequence
      FROM merge_team_positions_stage p
      JOIN merge_teams m ON m.pco_id = p.team_pco_id AND m.group_id IS NOT NULL
    ON CONFLICT (pco_id) DO UPDATE
       SET group_id = excluded.group_id, name = excluded.name, sequence = excluded.sequence
     WHERE (gp.group_id, gp.name, gp.sequence)
           IS DISTINCT FROM (excluded.group_id, excluded.name, excluded.sequence)
    RETURNING gp.group_id
),
dropped AS (
    DELETE FROM church.group_positions gp
     USING merge_teams m
      JOIN merge_teams_stage s USING (pco_id)
     WHERE gp.group_id = m.group_id AND s.deleted_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM merge_team_positions_stage p WHERE p.pco_id = gp.pco_id)
    RETURNING gp.group_id
)
UPDATE merge_teams m
   SET outcome = 'updated'
 WHERE m.outcome = 'linked'
   AND m.group_id IN (SELECT group_id FROM upserted UNION SELECT group_id FROM dropped);

UPDATE merge_teams SET outcome = 'unchanged' WHERE outcome = 'linked';

UPDATE sync.removed_in_pco r
   SET resolved_at = now()
  FROM merge_teams m
  JOIN merge_teams_stage s USING (pco_id)
 WHERE r.entity = 'team' AND r.local_id = m.group_id AND r.resolved_at IS NULL
   AND s.deleted_at IS NULL;

-- Missing from the snapshot and 404 (purged after its 30 days, or deleted outright).
WITH gone AS (
    UPDATE church.groups g
       SET deleted_in_pco_at = now()
      FROM pco_staging.gone x
     WHERE x.run_id = current_setting('pco_sync.run_id') AND x.stream = 'teams'
       AND g.pco_type = 'Team' AND g.pco_id = x.pco_id AND g.deleted_in_pco_at IS NULL
    RETURNING g.id, g.pco_id
)
INSERT INTO merge_teams (pco_id, group_id, outcome)
SELECT pco_id, id, 'removed' FROM gone;

INSERT INTO sync.removed_in_pco (entity, local_id, pco_id, reason, run_id)
SELECT 'team', m.group_id, m.pco_id,
       CASE WHEN s.deleted_at IS NOT NULL THEN 'deleted in PCO (deleted_at set)'
            ELSE 'absent from full snapshot; 404 when asked' END,
       current_setting('pco_sync.run_id')
  FROM merge_teams m
  LEFT JOIN merge_teams_stage s USING (pco_id)
 WHERE m.outcome = 'removed'
ON CONFLICT (entity, local_id) WHERE resolved_at IS NULL DO NOTHING;
