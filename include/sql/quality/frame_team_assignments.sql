-- The team assignments frame of this run's staging rows (first column: the record's PCO id).
SELECT staged.pco_id,
       staged.record ->> 'id'                                                 AS id,
       staged.record -> 'relationships' -> 'person' -> 'data' ->> 'id'        AS person,
       staged.record -> 'relationships' -> 'team_position' -> 'data' ->> 'id' AS team_position
FROM pco_staging.team_assignments AS staged
WHERE staged.run_id = current_setting('pco_sync.run_id')
