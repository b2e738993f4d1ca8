-- The groups frame of this run's staging rows (first column: the record's PCO id).
SELECT staged.pco_id,
       staged.record ->> 'id'                          AS id,
       staged.record -> 'attributes' ->> 'name'        AS name,
       staged.record -> 'attributes' ->> 'archived_at' AS archived_at
FROM pco_staging.groups AS staged
WHERE staged.run_id = current_setting('pco_sync.run_id')
