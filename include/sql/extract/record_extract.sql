-- What this run read of a stream, and how (window or snapshot): quality gates and merges
-- read it to know whether "absent from this run" can mean "gone from PCO".
INSERT INTO pco_staging.extracts
    (run_id, stream, mode, window_start, window_end, records, requests)
VALUES (current_setting('pco_sync.run_id'), %(stream)s, %(mode)s, %(window_start)s, %(window_end)s,
        %(records)s, %(requests)s)
ON CONFLICT (run_id, stream) DO UPDATE
SET mode = excluded.mode, window_start = excluded.window_start,
    window_end = excluded.window_end, records = excluded.records,
    requests = excluded.requests, finished_at = now()
