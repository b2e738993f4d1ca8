-- Group memberships PCO should follow (church.group_memberships, the contract of issues 4
-- and 5): a current local membership without a PCO id in a group PCO has (pco_type
-- 'Group') -> POST; a local leave (ended_at set) still holding its PCO id -> DELETE, then
-- the id is cleared. PCO cannot create groups, and Services teams are not groups, so
-- memberships elsewhere are skipped with the reason. Params: full_push.
WITH rows AS (
    SELECT gm.id, gm.group_id, gm.role, gm.joined_at, gm.ended_at, gm.pco_id,
           g.pco_id AS group_pco_id, g.pco_type, g.deleted_in_pco_at,
           p.pco_id AS person_pco_id,
           EXISTS (SELECT 1 FROM sync.removed_in_pco r
                    WHERE r.entity = 'person' AND r.local_id = p.id
                      AND r.resolved_at IS NULL) AS person_removed
      FROM church.group_memberships gm
      JOIN church.groups g ON g.id = gm.group_id
      JOIN church.people p ON p.id = gm.person_id
     WHERE (gm.ended_at IS NULL AND gm.pco_id IS NULL)
        OR (gm.ended_at IS NOT NULL AND gm.pco_id IS NOT NULL)
),
ops AS (
    SELECT 'group_membership' AS entity, r.id::text AS key,
           CASE WHEN r.ended_at IS NULL THEN 'add' ELSE 'remove' END AS operation,
           CASE WHEN r.ended_at IS NULL THEN 'POST' ELSE 'DELETE' END AS method,
           '/groups/v2/groups/' || r.group_pco_id || '/memberships'
             || CASE WHEN r.ended_at IS NULL THEN '' ELSE '/' || r.pco_id END AS path,
           CASE WHEN r.ended_at IS NULL THEN jsonb_build_object('data', jsonb_build_object(
               'type', 'Membership',
               'attributes', jsonb_strip_nulls(jsonb_build_object(
                   'person_id', r.person_pco_id, 'role', r.role,
                   'joined_at', r.joined_at)))) END AS body,
           r.id AS local_id, r.id AS subject, r.pco_id,
           NULL::jsonb AS sent, jsonb_build_object('person', r.person_pco_id) AS meta,
           CASE WHEN r.ended_at IS NULL THEN 'group_membership' END AS lookup,
           false AS pending,
           CASE
           WHEN r.pco_type = 'Team' THEN 'a Services team'
           WHEN r.group_pco_id IS NULL THEN 'group not in PCO'
           WHEN r.deleted_in_pco_at IS NOT NULL AND r.ended_at IS NULL THEN 'group deleted in PCO'
           WHEN r.ended_at IS NULL AND (r.person_pco_id IS NULL OR r.person_removed)
                THEN 'person not in PCO'
           END AS skip
      FROM rows r
)
SELECT o.entity, o.key, o.operation, o.method, o.path, o.body, o.local_id, o.subject,
       o.pco_id, o.sent, o.meta, o.lookup, o.pending,
       coalesce(o.skip, CASE WHEN NOT %(full_push)s AND f.retry_after > now()
                             THEN 'waiting to retry' END) AS skip
  FROM ops o
  LEFT JOIN sync.push_failures f
    ON f.entity = o.entity AND f.key = o.key AND f.operation = o.operation
   AND f.resolved_at IS NULL
 ORDER BY o.operation DESC, o.local_id;
