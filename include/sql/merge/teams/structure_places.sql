-- Where each live folder's and service type's department belongs, and what it is called.
--
-- Place: PCO's (the department of its parent folder; "PCO Services Teams" itself at the top
-- level) when the department is new or PCO's parent changed since it was last merged
-- (church.departments.pco_parent_folder_id); otherwise where it is, so a department staff
-- moved by hand stays there until PCO moves that folder or service type. A parent folder
-- without a department (PCO listed none by that id) counts as the top level, and as a
-- change once it has one. A place that would make a department its own ancestor (a PCO
-- move meeting a staff move) is "PCO Services Teams" instead: the tree never loops.
--
-- Name: PCO's, renames follow. Two departments may not share a name under one parent
-- (departments_name_once): a name already held there by a department this merge does not
-- name (staff's own, a deleted service type's) stays with it; among PCO things wanting the
-- same name there, the one that already has it keeps it, else folders before service
-- types, lower PCO id first. The others are called "<name> (PCO <kind> <id>)". Never an
-- error.
--
-- Deleted in PCO (deleted_at): the department is left as it is.
DROP TABLE IF EXISTS merge_structure_places;
CREATE TEMP TABLE merge_structure_places ON COMMIT DROP AS
WITH root AS (
    SELECT id FROM church.departments WHERE parent_id IS NULL AND name = 'PCO Services Teams'
),
live AS (
    SELECT m.kind, m.pco_id, m.department_id, m.outcome, s.name AS pco_name,
           s.parent_folder_pco_id
      FROM merge_structure m
      JOIN merge_structure_stage s USING (kind, pco_id)
     WHERE m.department_id IS NOT NULL AND s.deleted_at IS NULL
),
with_parent AS (   -- PCO's parent folder, as far as it has a department
    SELECT l.*, parent.id AS pco_parent_department_id, parent.pco_folder_id AS parent_folder_id
      FROM live l
      LEFT JOIN church.departments parent ON parent.pco_folder_id = l.parent_folder_pco_id
)
SELECT w.kind,
       w.pco_id,
       w.department_id,
       w.pco_name,
       w.parent_folder_id,
       d.parent_id                                                       AS current_parent_id,
       d.name                                                            AS current_name,
       CASE WHEN w.outcome = 'created'
              OR d.pco_parent_folder_id IS DISTINCT FROM w.parent_folder_id
            THEN coalesce(w.pco_parent_department_id, root.id)
            ELSE d.parent_id END                                         AS parent_id,
       NULL::text                                                        AS name
  FROM with_parent w
  JOIN church.departments d ON d.id = w.department_id
 CROSS JOIN root;
ALTER TABLE merge_structure_places ADD PRIMARY KEY (department_id);

-- No loops: walk up from each placed department through the tree as it will be; one this
-- merge would move that meets itself goes directly under "PCO Services Teams" instead (one
-- staff put somewhere stays there).
WITH RECURSIVE tree AS (
    SELECT d.id, coalesce(p.parent_id, d.parent_id) AS parent_id
      FROM church.departments d
      LEFT JOIN merge_structure_places p ON p.department_id = d.id
),
up (start_id, id) AS (
    SELECT p.department_id, p.parent_id
      FROM merge_structure_places p
     WHERE p.parent_id IS NOT NULL
    UNION ALL
    SELECT up.start_id, tree.parent_id
      FROM up
      JOIN tree ON tree.id = up.id
     WHERE tree.parent_id IS NOT NULL AND up.id <> up.start_id
) CYCLE id SET looped USING path
UPDATE merge_structure_places p
   SET parent_id = (SELECT id FROM church.departments
                     WHERE parent_id IS NULL AND name = 'PCO Services Teams')
 WHERE p.department_id IN (SELECT start_id FROM up WHERE id = start_id)
   AND p.parent_id IS DISTINCT FROM p.current_parent_id;

-- The names, now that every place is known.
WITH held AS (   -- names under those parents that stay with departments not named here
    SELECT d.parent_id, d.name
      FROM church.departments d
     WHERE NOT EXISTS (SELECT 1 FROM merge_structure_places p WHERE p.department_id = d.id)
),
ranked AS (
    SELECT p.department_id, p.pco_name, p.kind, p.pco_id, p.parent_id,
           row_number() OVER (
               PARTITION BY p.parent_id, p.pco_name
               ORDER BY (p.current_parent_id IS NOT DISTINCT FROM p.parent_id
                         AND p.current_name = p.pco_name) DESC,
                        p.kind, length(p.pco_id), p.pco_id)              AS nth,
           EXISTS (SELECT 1 FROM held h
                    WHERE h.parent_id IS NOT DISTINCT FROM p.parent_id
                      AND h.name = p.pco_name)                           AS name_held
      FROM merge_structure_places p
),
named AS (
    SELECT department_id, parent_id,
           CASE WHEN nth = 1 AND NOT name_held THEN pco_name
                ELSE pco_name || ' (PCO ' || kind || ' ' || pco_id || ')' END AS name
      FROM ranked
),
unique_named AS (   -- a suffixed name someone already uses (never seen): the department id too
    SELECT n.department_id,
           CASE WHEN EXISTS (SELECT 1 FROM held h
                              WHERE h.parent_id IS NOT DISTINCT FROM n.parent_id
                                AND h.name = n.name)
                  OR count(*) OVER (PARTITION BY n.parent_id, n.name) > 1
                THEN n.name || ' #' || n.department_id
                ELSE n.name END                                          AS name
      FROM named n
)
UPDATE merge_structure_places p
   SET name = u.name
  FROM unique_named u
 WHERE p.department_id = u.department_id;
