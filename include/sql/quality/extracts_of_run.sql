-- The streams this run extracted, and how (window or snapshot): what the batch gates check.
SELECT extracts.stream, extracts.mode
FROM pco_staging.extracts
WHERE extracts.run_id = current_setting('pco_sync.run_id')
ORDER BY extracts.stream
