-- The event instances frame of this run's staging rows (first column: the record's PCO id).
SELECT staged.pco_id,
       staged.record ->> 'id'                                         AS id,
       staged.record -> 'relationships' -> 'event' -> 'data' ->> 'id' AS event,
       staged.record -> 'attributes' ->> 'starts_at'                  AS starts_at,
       staged.record -> 'attributes' ->> 'ends_at'                    AS ends_at
FROM pco_staging.event_instances AS staged
WHERE staged.run_id = current_setting('pco_sync.run_id')
