-- A re-run of the check of what a snapshot lacks replaces its earlier findings.
DELETE FROM pco_staging.gone AS gone
 WHERE gone.run_id = current_setting('pco_sync.run_id') AND gone.stream = %(stream)s
