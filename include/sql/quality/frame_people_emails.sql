-- The people emails frame of this run's staging rows (first column: the record's PCO id).
SELECT staged.pco_id,
       email.value ->> 'id'                         AS email_id,
       email.value -> 'attributes' ->> 'address'    AS address
FROM pco_staging.people AS staged
CROSS JOIN LATERAL jsonb_array_elements(
    CASE jsonb_typeof(staged.record -> 'included' -> 'emails')
        WHEN 'array' THEN staged.record -> 'included' -> 'emails'
        ELSE '[]'::jsonb END) AS email
WHERE staged.run_id = current_setting('pco_sync.run_id')
