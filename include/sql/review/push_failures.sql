-- Open push failures, newest first, with PCO's answer and when the push tries again.
SELECT f.id, f.entity, f.key, f.operation, f.local_id,
       sync.record_name(f.entity, f.local_id) AS name, f.method, f.path, f.status,
       f.detail, f.attempts, f.first_failed_at, f.last_failed_at, f.retry_after, f.run_id
  FROM sync.push_failures AS f
 WHERE f.resolved_at IS NULL
 ORDER BY f.last_failed_at DESC, f.id DESC
 LIMIT %(limit)s
