-- Each folder's and service type's department, by PCO id (church.departments.pco_folder_id,
-- pco_service_type_id): linked when it has one, created when it has none. One PCO deleted
-- before we ever saw it gets none (nothing to keep); one PCO deleted later keeps its
-- department, and its teams stay in it.
--
-- A new department starts directly under "PCO Services Teams" with a placeholder name no one
-- else has; structure_places.sql then decides its place and name, and structure_apply.sql
-- puts it there exactly as it moves an existing one, so nested folders need no ordering.
DROP TABLE IF EXISTS merge_structure;
CREATE TEMP TABLE merge_structure (
    kind           text   NOT NULL,   -- 'folder' or 'service type'
    pco_id         text   NOT NULL,
    department_id  bigint,
    outcome        text   NOT NULL,   -- linked, new, skipped, then created/updated/unchanged
    PRIMARY KEY (kind, pco_id)
) ON COMMIT DROP;

INSERT INTO merge_structure (kind, pco_id, department_id, outcome)
SELECT s.kind,
       s.pco_id,
       coalesce(folder_department.id, type_department.id),
       CASE WHEN coalesce(folder_department.id, type_department.id) IS NOT NULL THEN 'linked'
            WHEN s.deleted_at IS NULL THEN 'new'
            ELSE 'skipped' END
  FROM merge_structure_stage s
  LEFT JOIN church.departments folder_department
    ON s.kind = 'folder' AND folder_department.pco_folder_id = s.pco_id
  LEFT JOIN church.departments type_department
    ON s.kind = 'service type' AND type_department.pco_service_type_id = s.pco_id;

WITH root AS (
    SELECT id FROM church.departments WHERE parent_id IS NULL AND name = 'PCO Services Teams'
),
created AS (
    INSERT INTO church.departments (name, parent_id, pco_folder_id, pco_service_type_id)
    SELECT 'pco-sync: placing ' || m.kind || ' ' || m.pco_id,
           root.id,
           CASE WHEN m.kind = 'folder' THEN m.pco_id END,
           CASE WHEN m.kind = 'service type' THEN m.pco_id END
      FROM merge_structure m
     CROSS JOIN root
     WHERE m.outcome = 'new'
    RETURNING id, coalesce(pco_folder_id, pco_service_type_id) AS pco_id,
              CASE WHEN pco_folder_id IS NOT NULL THEN 'folder' ELSE 'service type' END AS kind
)
UPDATE merge_structure m
   SET department_id = c.id, outcome = 'created'
  FROM created c
 WHERE (m.kind, m.pco_id) = (c.kind, c.pco_id);
