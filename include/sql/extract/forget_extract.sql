-- A resource this run could not read (no access): what it recorded of the stream goes, so
-- nothing half-read is checked or merged.
DELETE FROM pco_staging.extracts AS extracts
 WHERE extracts.run_id = current_setting('pco_sync.run_id') AND extracts.stream = %(stream)s
