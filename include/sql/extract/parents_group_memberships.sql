-- The groups staged in this run, with the member count PCO gives for each.
SELECT staged.pco_id,
       CASE WHEN jsonb_typeof(staged.record -> 'attributes' -> 'memberships_count') = 'number'
            THEN (staged.record -> 'attributes' ->> 'memberships_count')::numeric::int END
  FROM pco_staging.groups AS staged
 WHERE staged.run_id = current_setting('pco_sync.run_id')
 ORDER BY length(staged.pco_id), staged.pco_id
