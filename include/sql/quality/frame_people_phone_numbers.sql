-- The people phone numbers frame of this run's staging rows (first column: the record's PCO id).
SELECT staged.pco_id,
       phone.value ->> 'id'                         AS phone_id,
       phone.value -> 'attributes' ->> 'number'     AS number
FROM pco_staging.people AS staged
CROSS JOIN LATERAL jsonb_array_elements(
    CASE jsonb_typeof(staged.record -> 'included' -> 'phone_numbers')
        WHEN 'array' THEN staged.record -> 'included' -> 'phone_numbers'
        ELSE '[]'::jsonb END) AS phone
WHERE staged.run_id = current_setting('pco_sync.run_id')
