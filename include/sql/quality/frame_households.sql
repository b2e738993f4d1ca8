-- The households frame of this run's staging rows (first column: the record's PCO id).
SELECT staged.pco_id,
       staged.record ->> 'id'                       AS id,
       staged.record -> 'attributes' ->> 'name'     AS name,
       CASE jsonb_typeof(staged.record -> 'included' -> 'people')
           WHEN 'array' THEN jsonb_array_length(staged.record -> 'included' -> 'people')
           ELSE 0 END                               AS members
FROM pco_staging.households AS staged
WHERE staged.run_id = current_setting('pco_sync.run_id')
