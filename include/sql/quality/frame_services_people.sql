-- The Services people frame of this run's staging rows (first column: the record's PCO id).
-- jsonb_typeof: a JSON boolean reads 'boolean'; anything else in `archived` is not one.
SELECT staged.pco_id,
       staged.record ->> 'id'                                    AS id,
       staged.record -> 'attributes' ->> 'archived'              AS archived,
       coalesce(jsonb_typeof(staged.record -> 'attributes' -> 'archived'), 'null')
                                                                 AS archived_type
FROM pco_staging.services_people AS staged
WHERE staged.run_id = current_setting('pco_sync.run_id')
