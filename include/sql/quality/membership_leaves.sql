-- Current PCO-backed memberships of one kind (Group or Team), and how many of them this
-- run's snapshot would end: people no longer listed in a group read 'ok' (as
-- merge/shared/memberships_apply.sql decides). {table}: the stream's staging table.
WITH present AS (
    SELECT staged.record -> 'fetched_for' ->> 'id'                         AS group_pco_id,
           staged.record -> 'relationships' -> 'person' -> 'data' ->> 'id' AS person_pco_id
      FROM {table} AS staged
     WHERE staged.run_id = current_setting('pco_sync.run_id')
),
current_memberships AS (
    SELECT groups.pco_id AS group_pco_id, people.pco_id AS person_pco_id
      FROM church.group_memberships AS memberships
      JOIN church.groups AS groups
        ON groups.id = memberships.group_id AND groups.pco_type = %(kind)s
       AND groups.deleted_in_pco_at IS NULL
      JOIN church.people AS people ON people.id = memberships.person_id
     WHERE memberships.ended_at IS NULL AND memberships.pco_id IS NOT NULL
)
SELECT count(*) AS current_count,
       count(*) FILTER (
           WHERE EXISTS (SELECT 1 FROM pco_staging.fetches AS fetches
                          WHERE fetches.run_id = current_setting('pco_sync.run_id')
                            AND fetches.stream = %(stream)s
                            AND fetches.parent_pco_id = c.group_pco_id
                            AND fetches.status = 'ok')
             AND NOT EXISTS (SELECT 1 FROM present AS p
                              WHERE p.group_pco_id = c.group_pco_id
                                AND p.person_pco_id = c.person_pco_id)) AS ending_count
  FROM current_memberships AS c
