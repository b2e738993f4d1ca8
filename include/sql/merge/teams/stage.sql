-- This run's Services teams, minus quarantined rows, and their positions (side-loaded).
DROP TABLE IF EXISTS merge_teams_stage;
CREATE TEMP TABLE merge_teams_stage ON COMMIT DROP AS
SELECT s.pco_id,
       nullif(btrim(s.record -> 'attributes' ->> 'name'), '')             AS name,
       sync.try_timestamptz(s.record -> 'attributes' ->> 'archived_at')   AS archived_at,
       sync.try_timestamptz(s.record -> 'attributes' ->> 'deleted_at')    AS deleted_at,
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
