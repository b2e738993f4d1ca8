-- After every saved batch: refusals become (or refresh) open failures with PCO's detail
-- and the next retry time; successes close them; the journal forgets every write whose
-- outcome is now known (an unclear one stays, so the next attempt looks first). A failure
-- keeps what the write carried (sent), so staff can dismiss that very write.
INSERT INTO sync.push_failures (entity, key, operation, local_id, method, path, status,
                                detail, sent, run_id, retry_after)
SELECT r.entity, r.key, r.operation, r.local_id, r.method, r.path, r.status,
       coalesce(r.detail, 'failed'), r.sent, current_setting('pco_sync.run_id'),
       now() + sync.push_backoff(1)
  FROM push_results r
 WHERE NOT r.ok
ON CONFLICT (entity, key, operation) WHERE resolved_at IS NULL DO UPDATE
   SET attempts = sync.push_failures.attempts + 1,
       method = excluded.method, path = excluded.path, status = excluded.status,
       detail = excluded.detail, sent = excluded.sent, run_id = excluded.run_id,
       last_failed_at = now(),
       retry_after = now() + sync.push_backoff(sync.push_failures.attempts + 1);

UPDATE sync.push_failures f
   SET resolved_at = now()
  FROM push_results r
 WHERE r.ok AND f.resolved_at IS NULL
   AND f.entity = r.entity AND f.key = r.key AND f.operation = r.operation;

DELETE FROM sync.push_pending j
 USING push_results r
 WHERE NOT r.unsure
   AND j.entity = r.entity AND j.key = r.key AND j.operation = r.operation;
