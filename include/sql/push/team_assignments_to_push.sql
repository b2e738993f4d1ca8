-- Services team assignments PCO should follow (the contract of issue 20): each position a
-- current local membership of a linked person on a live PCO team lists (church.group_
-- memberships.positions, by the name of one of the team's church.group_positions) that
-- PCO does not hold (no sync.team_assignments row) -> POST under the team's service type;
-- each assignment PCO holds for a linked person whose membership ended locally, or who no
-- longer lists that position -> DELETE. Positions PCO does not have, and memberships of
-- people PCO does not have, are skipped with the reason. A person not known to be in
-- Services is added to it before their first assignment (push.services). Params: full_push.
WITH members AS (
    SELECT gm.id AS membership_id, gm.group_id, gm.ended_at, gm.positions,
           g.pco_id AS team_pco_id, g.pco_service_type_id, g.deleted_in_pco_at,
           p.id AS person_id, p.pco_id AS person_pco_id,
           EXISTS (SELECT 1 FROM sync.removed_in_pco r
                    WHERE r.entity = 'person' AND r.local_id = p.id
                      AND r.resolved_at IS NULL) AS person_removed
      FROM church.group_memberships AS gm
      JOIN church.groups AS g ON g.id = gm.group_id AND g.pco_type = 'Team'
      JOIN church.people AS p ON p.id = gm.person_id
),
held AS (   -- current local memberships, one row per position name listed
    SELECT m.*, named.position, gp.pco_id AS position_pco_id
      FROM members AS m
     CROSS JOIN LATERAL unnest(m.positions) AS named(position)
      LEFT JOIN LATERAL (
          SELECT gp.pco_id FROM church.group_positions AS gp
           WHERE gp.group_id = m.group_id AND gp.name = named.position AND gp.pco_id IS NOT NULL
           ORDER BY gp.sequence NULLS LAST, gp.id LIMIT 1) AS gp ON true
     WHERE m.ended_at IS NULL
),
adds AS (
    SELECT 'team_assignment' AS entity, h.membership_id || ':' || coalesce(h.position_pco_id, h.position) AS key,
           'add' AS operation, 'POST' AS method,
           '/services/v2/service_types/' || h.pco_service_type_id || '/team_positions/'
             || h.position_pco_id || '/person_team_position_assignments' AS path,
           jsonb_build_object('data', jsonb_build_object(
               'type', 'PersonTeamPositionAssignment',
               'attributes', jsonb_build_object('person_id', h.person_pco_id))) AS body,
           h.membership_id AS local_id, h.membership_id AS subject, NULL::text AS pco_id,
           jsonb_build_object('group_id', h.group_id, 'position', h.position_pco_id,
                              'person', h.person_pco_id,
                              -- known to be in Services (listed by the latest Services
                              -- people read, or assigned already): else added first
                              'in_services',
                              EXISTS (SELECT 1 FROM pco_staging.services_people AS sp
                                       WHERE sp.pco_id = h.person_pco_id)
                              OR EXISTS (SELECT 1 FROM sync.team_assignments AS known
                                          WHERE known.person_pco_id = h.person_pco_id)) AS meta,
           'team_assignment' AS lookup,
           CASE
           WHEN h.team_pco_id IS NULL OR h.deleted_in_pco_at IS NOT NULL THEN 'team not in PCO'
           WHEN h.position_pco_id IS NULL THEN 'position not in PCO'
           WHEN h.person_pco_id IS NULL OR h.person_removed THEN 'person not in PCO'
           WHEN h.pco_service_type_id IS NULL THEN 'team has no service type'
           END AS skip
      FROM held AS h
     WHERE NOT EXISTS (SELECT 1 FROM sync.team_assignments AS a
                        WHERE a.group_id = h.group_id AND a.person_pco_id = h.person_pco_id
                          AND a.position_pco_id = h.position_pco_id)
),
removes AS (   -- PCO's assignments of linked people whose local membership no longer has them
    SELECT 'team_assignment' AS entity, a.pco_id AS key, 'remove' AS operation,
           'DELETE' AS method,
           '/services/v2/service_types/' || g.pco_service_type_id || '/team_positions/'
             || a.position_pco_id || '/person_team_position_assignments/' || a.pco_id AS path,
           NULL::jsonb AS body, last.membership_id AS local_id, last.membership_id AS subject,
           a.pco_id, jsonb_build_object('group_id', a.group_id, 'position', a.position_pco_id,
                                        'person', a.person_pco_id) AS meta,
           NULL::text AS lookup,
           CASE WHEN g.pco_service_type_id IS NULL THEN 'team has no service type' END AS skip
      FROM sync.team_assignments AS a
      JOIN church.groups AS g ON g.id = a.group_id AND g.deleted_in_pco_at IS NULL
      JOIN LATERAL (   -- the person's latest membership of the team, as staff left it
          SELECT m.membership_id, m.ended_at, m.positions
            FROM members AS m
           WHERE m.group_id = a.group_id AND m.person_pco_id = a.person_pco_id
           ORDER BY m.ended_at IS NULL DESC, m.ended_at DESC, m.membership_id DESC
           LIMIT 1) AS last ON true
      LEFT JOIN church.group_positions AS gp ON gp.pco_id = a.position_pco_id
     WHERE last.ended_at IS NOT NULL
        OR NOT (coalesce(gp.name, '') = ANY (coalesce(last.positions, '{}')))
),
ops AS (
    SELECT * FROM adds
    UNION ALL
    SELECT * FROM removes
)
SELECT o.entity, o.key, o.operation, o.method, o.path, o.body, o.local_id, o.subject,
       o.pco_id, NULL::jsonb AS sent, o.meta, o.lookup,
       EXISTS (SELECT 1 FROM sync.push_pending j
                WHERE j.entity = o.entity AND j.key = o.key AND j.operation = o.operation)
           AS pending,
       coalesce(o.skip, CASE WHEN NOT %(full_push)s AND f.retry_after > now()
                             THEN 'waiting to retry' END) AS skip
  FROM ops AS o
  LEFT JOIN sync.push_failures AS f
    ON f.entity = o.entity AND f.key = o.key AND f.operation = o.operation
   AND f.resolved_at IS NULL
 ORDER BY o.operation DESC, o.local_id, o.key;
