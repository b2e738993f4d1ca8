-- How one parent's list read (ok, failed, empty, short): only a group read 'ok' gets joins
-- and leaves in the merge.
INSERT INTO pco_staging.fetches
    (run_id, stream, parent_pco_id, status, records, expected, requests, detail)
VALUES (current_setting('pco_sync.run_id'), %(stream)s, %(parent)s, %(status)s, %(records)s,
        %(expected)s, %(requests)s, %(detail)s)
