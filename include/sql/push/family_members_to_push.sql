-- Members of linked families against the agreed member set (PCO person ids): a local
-- member PCO has who is not agreed -> POST a household membership; an agreed member no
-- longer in the local family -> DELETE that membership (its id is looked up first).
-- Members PCO does not have yet are added once they are. Params: full_push.
WITH families AS (
    SELECT f.id, f.pco_id
      FROM church.families f
      JOIN sync.agreed_families a ON a.family_id = f.id AND a.pco_id = f.pco_id
     WHERE NOT EXISTS (SELECT 1 FROM sync.removed_in_pco r
                        WHERE r.entity = 'family' AND r.local_id = f.id
                          AND r.resolved_at IS NULL)
),
local AS (
    SELECT fm.family_id, p.id AS person_id, p.pco_id AS person_pco_id
      FROM church.family_members fm
      JOIN families f ON f.id = fm.family_id
      JOIN church.people p ON p.id = fm.person_id AND p.pco_id IS NOT NULL
     WHERE NOT EXISTS (SELECT 1 FROM sync.removed_in_pco r
                        WHERE r.entity = 'person' AND r.local_id = p.id
                          AND r.resolved_at IS NULL)
),
ops AS (
    SELECT 'family_member' AS entity, l.family_id || '/' || l.person_pco_id AS key,
           'add' AS operation, 'POST' AS method,
           '/people/v2/households/' || f.pco_id || '/household_memberships' AS path,
           jsonb_build_object('data', jsonb_build_object(
               'type', 'HouseholdMembership',
               'attributes', jsonb_build_object('pending', false),
               'relationships', jsonb_build_object('person', jsonb_build_object(
                   'data', jsonb_build_object('type', 'Person', 'id', l.person_pco_id))))) AS body,
           l.family_id AS local_id, l.family_id AS subject, NULL::text AS pco_id,
           jsonb_build_object('person', l.person_pco_id) AS meta, NULL AS lookup
      FROM local l
      JOIN families f ON f.id = l.family_id
     WHERE NOT EXISTS (SELECT 1 FROM sync.agreed_family_members a
                        WHERE a.family_id = l.family_id AND a.person_pco_id = l.person_pco_id)
    UNION ALL
    SELECT 'family_member', a.family_id || '/' || a.person_pco_id, 'remove', 'DELETE',
           '/people/v2/households/' || f.pco_id || '/household_memberships',
           NULL, a.family_id, a.family_id, NULL,
           jsonb_build_object('person', a.person_pco_id), 'household_membership'
      FROM sync.agreed_family_members a
      JOIN families f ON f.id = a.family_id
     WHERE NOT EXISTS (SELECT 1 FROM local l
                        WHERE l.family_id = a.family_id AND l.person_pco_id = a.person_pco_id)
)
SELECT o.*, o.meta AS sent, false AS pending,
       CASE WHEN NOT %(full_push)s AND f.retry_after > now() THEN 'waiting to retry' END AS skip
  FROM ops o
  LEFT JOIN sync.push_failures f
    ON f.entity = o.entity AND f.key = o.key AND f.operation = o.operation
   AND f.resolved_at IS NULL
 ORDER BY o.operation, o.local_id, o.key;
