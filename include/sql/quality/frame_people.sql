-- The people frame of this run's staging rows (first column: the record's PCO id).
SELECT staged.pco_id,
       staged.record ->> 'id'                            AS id,
       staged.record -> 'attributes' ->> 'first_name'    AS first_name,
       staged.record -> 'attributes' ->> 'last_name'     AS last_name,
       staged.record -> 'attributes' ->> 'birthdate'     AS birthdate,
       staged.record -> 'attributes' ->> 'status'        AS status
FROM pco_staging.people AS staged
WHERE staged.run_id = current_setting('pco_sync.run_id')
