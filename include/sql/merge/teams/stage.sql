-- This run's Services teams, minus quarantined rows, and their positions (side-loaded).
-- A team's service type is PCO's primary one (`service_type`); a team PCO gives none but
-- lists in service types (`service_types`) takes the lowest id of those, so every team in
-- a service type has one (the push of team assignments builds its URLs from it).
DROP TABLE IF EXISTS merge_teams_stage;
CREATE TEMP TABLE merge_teams_stage ON COMMIT DROP AS
SELECT s.pco_id,
       nullif(btrim(s.record -> 'attributes' ->> 'name'), '')             AS name,
       sync.try_timestamptz(s.record -> 'attributes' ->> 'archived_at')   AS archived_at,
       sync.try_timestamptz(s.record -> 'attributes' ->> 'deleted_at')    AS deleted_at,
       coalesce(
           nullif(btrim(s.record -> 'relationships' -> 'service_type' -> 'data' ->> 'id'), ''),
           (SELECT listed.id
              FROM jsonb_array_elements(
                       CASE jsonb_typeof(s.record -> 'relationships' -> 'service_types' -> 'data')
                           WHEN 'array' THEN s.record -> 'relationships' -> 'service_types' -> 'data'
                           ELSE '[]' END) AS x(item)
             CROSS JOIN LATERAL (SELECT nullif(btrim(x.item ->> 'id'), '') AS id) listed
             WHERE listed.id IS NOT NULL
             ORDER BY length(listed.id), listed.id
             LIMIT 1))                                                     AS service_type_pco_id,
       s.record
  FROM pco_staging.teams s
 WHERE s.run_id = current_setting('pco_sync.run_id')
   AND NOT EXISTS (SELECT 1
                     FROM sync.quarantine q
                    WHERE q.run_id = s.run_id
                      AND q.stream = 'teams'
                      AND q.pco_id = s.pco_id
                      AND q.resolved_at IS NULL);
ALTER TABLE merge_teams_stage ADD PRIMARY KEY (pco_id);
ANALYZE merge_teams_stage;

DROP TABLE IF EXISTS merge_team_positions_stage;
CREATE TEMP TABLE merge_team_positions_stage ON COMMIT DROP AS
SELECT t.pco_id AS team_pco_id, x.item ->> 'id' AS pco_id,
       x.item -> 'attributes' ->> 'name' AS name,
       CASE WHEN jsonb_typeof(x.item -> 'attributes' -> 'sequence') = 'number'
            THEN (x.item -> 'attributes' ->> 'sequence')::numeric::int END AS sequence
  FROM merge_teams_stage t
 CROSS JOIN LATERAL jsonb_array_elements(
           CASE jsonb_typeof(t.record -> 'included' -> 'team_positions')
               WHEN 'array' THEN t.record -> 'included' -> 'team_positions'
               ELSE '[]' END) AS x(item)
 WHERE t.deleted_at IS NULL AND x.item ->> 'id' IS NOT NULL;

INSERT INTO church.departments (name, parent_id)
SELECT 'PCO Services Teams', NULL
 WHERE EXISTS (SELECT 1 FROM merge_teams_stage)
ON CONFLICT ON CONSTRAINT departments_name_once DO NOTHING;
