-- The latest earlier read of each parent: an empty list confirmed by two reads is believed.
SELECT DISTINCT ON (fetches.parent_pco_id) fetches.parent_pco_id, fetches.status, fetches.records
  FROM pco_staging.fetches AS fetches
 WHERE fetches.stream = %(stream)s AND fetches.run_id <> current_setting('pco_sync.run_id')
 ORDER BY fetches.parent_pco_id, fetches.fetched_at DESC
