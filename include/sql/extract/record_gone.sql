-- A linked record PCO answered 404 for: the merge's only evidence of a deletion.
INSERT INTO pco_staging.gone (run_id, stream, pco_id)
VALUES (current_setting('pco_sync.run_id'), %s, %s)
ON CONFLICT DO NOTHING
