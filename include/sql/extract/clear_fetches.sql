-- A re-run of a per-parent extract replaces its record of each parent's read.
DELETE FROM pco_staging.fetches AS fetches
 WHERE fetches.run_id = current_setting('pco_sync.run_id') AND fetches.stream = %(stream)s
