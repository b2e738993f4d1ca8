-- Puts each folder's and service type's department where structure_places.sql says, with
-- its name, and records PCO's parent folder as merged. Only departments whose place, name
-- or recorded parent differ are written, so a rerun writes nothing.
--
-- Two statements: PostgreSQL checks departments_name_once row by row, so a swap of two
-- names (or a move into a parent where another moving department leaves that name) would
-- fail half-way in one UPDATE. First every department about to change gets a placeholder
-- name unique by its id, then the final places and names, which are unique by construction.
UPDATE church.departments d
   SET name = 'pco-sync: renaming ' || d.id
  FROM merge_structure_places p
 WHERE d.id = p.department_id
   AND (d.parent_id, d.name) IS DISTINCT FROM (p.parent_id, p.name);

WITH placed AS (
    UPDATE church.departments d
       SET parent_id = p.parent_id,
           name = p.name,
           pco_parent_folder_id = p.parent_folder_id
      FROM merge_structure_places p
     WHERE d.id = p.department_id
       AND (d.parent_id, d.name, d.pco_parent_folder_id)
           IS DISTINCT FROM (p.parent_id, p.name, p.parent_folder_id)
    RETURNING d.id
)
UPDATE merge_structure m
   SET outcome = 'updated'
  FROM placed
 WHERE m.department_id = placed.id AND m.outcome = 'linked';

UPDATE merge_structure SET outcome = 'unchanged' WHERE outcome = 'linked';
