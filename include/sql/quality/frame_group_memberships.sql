-- The group memberships frame of this run's staging rows (first column: the record's PCO id).
SELECT staged.pco_id,
       staged.record ->> 'id'                                          AS id,
       staged.record -> 'attributes' ->> 'role'                        AS role,
       staged.record -> 'attributes' ->> 'joined_at'                   AS joined_at,
       staged.record -> 'relationships' -> 'person' -> 'data' ->> 'id' AS person,
       staged.record -> 'relationships' -> 'group' -> 'data' ->> 'id'  AS listed_group,
       staged.record -> 'fetched_for' ->> 'id'                         AS fetched_for
FROM pco_staging.group_memberships AS staged
WHERE staged.run_id = current_setting('pco_sync.run_id')
