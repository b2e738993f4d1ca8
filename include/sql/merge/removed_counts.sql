-- Records of one entity this run found gone from PCO (newly: earlier finds are not recounted).
SELECT count(*) AS removed
  FROM sync.removed_in_pco
 WHERE entity = %(entity)s AND run_id = %(run_id)s AND resolved_at IS NULL
