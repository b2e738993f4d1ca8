-- This run's PCO groups, minus quarantined rows, with their group type (side-loaded).
DROP TABLE IF EXISTS merge_groups_stage;
CREATE TEMP TABLE merge_groups_stage ON COMMIT DROP AS
SELECT s.pco_id,
       nullif(btrim(s.record -> 'attributes' ->> 'name'), '')                AS name,
       s.record -> 'attributes' ->> 'description'                            AS description,
       s.record -> 'attributes' ->> 'schedule'                               AS schedule,
       sync.try_timestamptz(s.record -> 'attributes' ->> 'archived_at')      AS archived_at,
       s.record -> 'relationships' -> 'group_type' -> 'data' ->> 'id'        AS type_pco_id,
       nullif(btrim(s.record -> 'included' -> 'group_type' -> 0
                    -> 'attributes' ->> 'name'), '')                          AS type_name
  FROM pco_staging.groups s
 WHERE s.run_id = current_setting('pco_sync.run_id')
   AND NOT EXISTS (SELECT 1
                     FROM sync.quarantine q
                    WHERE q.run_id = s.run_id
                      AND q.stream = 'groups'
                      AND q.pco_id = s.pco_id
                      AND q.resolved_at IS NULL);
ALTER TABLE merge_groups_stage ADD PRIMARY KEY (pco_id);
ANALYZE merge_groups_stage;

-- "PCO Groups" and one sub-department per group type. A type's department follows its
-- renames; a new type adopts a same-named department staff already made under the root.
INSERT INTO church.departments (name, parent_id)
SELECT 'PCO Groups', NULL
 WHERE EXISTS (SELECT 1 FROM merge_groups_stage)
ON CONFLICT ON CONSTRAINT departments_name_once DO NOTHING;

DROP TABLE IF EXISTS merge_group_types;
CREATE TEMP TABLE merge_group_types ON COMMIT DROP AS
SELECT DISTINCT ON (type_pco_id) type_pco_id, type_name
  FROM merge_groups_stage
 WHERE type_pco_id IS NOT NULL AND type_name IS NOT NULL
 ORDER BY type_pco_id, type_name;

UPDATE church.departments d
   SET name = t.type_name
  FROM merge_group_types t
 WHERE d.pco_group_type_id = t.type_pco_id
   AND d.name IS DISTINCT FROM t.type_name
   AND NOT EXISTS (SELECT 1 FROM church.departments o
                    WHERE o.parent_id IS NOT DISTINCT FROM d.parent_id
                      AND o.name = t.type_name);

INSERT INTO church.departments (name, parent_id, pco_group_type_id)
SELECT t.type_name, root.id, t.type_pco_id
  FROM merge_group_types t
 CROSS JOIN (SELECT id FROM church.departments
              WHERE parent_id IS NULL AND name = 'PCO Groups') root
 WHERE NOT EXISTS (SELECT 1 FROM church.departments d WHERE d.pco_group_type_id = t.type_pco_id)
ON CONFLICT ON CONSTRAINT departments_name_once DO UPDATE
   SET pco_group_type_id = excluded.pco_group_type_id
 WHERE church.departments.pco_group_type_id IS NULL;

-- Where a group of each type belongs: its type's department, else "PCO Groups" itself.
DROP TABLE IF EXISTS merge_group_departments;
CREATE TEMP TABLE merge_group_departments ON COMMIT DROP AS
SELECT s.pco_id, coalesce(d.id, root.id) AS department_id
  FROM merge_groups_stage s
 CROSS JOIN (SELECT id FROM church.departments
              WHERE parent_id IS NULL AND name = 'PCO Groups') root
  LEFT JOIN church.departments d ON d.pco_group_type_id = s.type_pco_id;
