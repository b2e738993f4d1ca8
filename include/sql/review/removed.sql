-- People and families removed in PCO (deleted there, or merged into another PCO record)
-- whose local record waits for a decision, newest first, with the local name.
SELECT r.id, r.entity, r.local_id, r.pco_id, r.reason, r.run_id, r.detected_at,
       coalesce(nullif(concat_ws(' ', p.first_name, p.last_name), ''), f.name) AS name
  FROM sync.removed_in_pco AS r
  LEFT JOIN church.people AS p ON r.entity = 'person' AND p.id = r.local_id
  LEFT JOIN church.families AS f ON r.entity = 'family' AND f.id = r.local_id
 WHERE r.resolved_at IS NULL
 ORDER BY r.detected_at DESC, r.local_id DESC
 LIMIT %(limit)s
