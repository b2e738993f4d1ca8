-- This run's Services folders and service types, the tree teams are placed in: one row per
-- PCO thing with its name and the folder PCO puts it in (NULL: the top level). Folders
-- nest; a service type's parent is its folder.
--
-- Neither stream has row checks (nothing is quarantined): a blank name is replaced by
-- "Folder <id>" / "Service type <id>", so a team's place never waits on a person. A record
-- without an id (staged under a made-up key) has nothing to stand for and is left out.
-- A parent that is not a Folder is read as none.
DROP TABLE IF EXISTS merge_structure_stage;
CREATE TEMP TABLE merge_structure_stage ON COMMIT DROP AS
WITH staged AS (
    SELECT 'folder'::text AS kind, f.pco_id, f.record
      FROM pco_staging.folders f
     WHERE f.run_id = current_setting('pco_sync.run_id')
    UNION ALL
    SELECT 'service type'::text AS kind, st.pco_id, st.record
      FROM pco_staging.service_types st
     WHERE st.run_id = current_setting('pco_sync.run_id')
),
parsed AS (
    SELECT kind,
           pco_id,
           nullif(btrim(record -> 'attributes' ->> 'name'), '')            AS pco_name,
           record -> 'relationships' -> 'parent' -> 'data'                 AS parent,
           sync.try_timestamptz(record -> 'attributes' ->> 'deleted_at')   AS deleted_at
      FROM staged
     WHERE nullif(btrim(record ->> 'id'), '') IS NOT NULL
)
SELECT kind,
       pco_id,
       coalesce(pco_name,
                CASE kind WHEN 'folder' THEN 'Folder ' ELSE 'Service type ' END || pco_id)
                                                                   AS name,
       CASE WHEN jsonb_typeof(parent) = 'object'
             AND coalesce(parent ->> 'type', 'Folder') = 'Folder'
            THEN nullif(btrim(parent ->> 'id'), '') END            AS parent_folder_pco_id,
       deleted_at
  FROM parsed;
ALTER TABLE merge_structure_stage ADD PRIMARY KEY (kind, pco_id);
ANALYZE merge_structure_stage;

-- The root, also when this run staged folders or service types but no team yet.
INSERT INTO church.departments (name, parent_id)
SELECT 'PCO Services Teams', NULL
 WHERE EXISTS (SELECT 1 FROM merge_structure_stage)
ON CONFLICT ON CONSTRAINT departments_name_once DO NOTHING;
