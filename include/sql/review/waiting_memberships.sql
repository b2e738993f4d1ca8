-- Group and team memberships waiting for their person (not in the church database yet:
-- not synced, quarantined or in match review), with the group's name where it is known.
SELECT w.kind, w.group_pco_id, g.name AS group_name, w.person_pco_id, w.role, w.joined_at,
       w.run_id,
       EXISTS (SELECT 1 FROM sync.match_review AS m
                WHERE m.resolved_at IS NULL AND m.entity = 'person'
                  AND m.pco_id = w.person_pco_id) AS in_match_review,
       EXISTS (SELECT 1 FROM sync.quarantine AS q
                WHERE q.resolved_at IS NULL AND q.stream = 'people'
                  AND q.pco_id = w.person_pco_id) AS quarantined
  FROM pco_staging.waiting_memberships AS w
  LEFT JOIN church.groups AS g ON g.pco_type = w.kind AND g.pco_id = w.group_pco_id
 ORDER BY w.run_id DESC, g.name, w.person_pco_id
 LIMIT %(limit)s
