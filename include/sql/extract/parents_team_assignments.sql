-- The live teams staged in this run (PCO gives no assignment count).
SELECT staged.pco_id, NULL::int
  FROM pco_staging.teams AS staged
 WHERE staged.run_id = current_setting('pco_sync.run_id')
   AND staged.record -> 'attributes' ->> 'deleted_at' IS NULL
 ORDER BY length(staged.pco_id), staged.pco_id
