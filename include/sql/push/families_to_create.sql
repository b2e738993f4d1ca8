-- Local families PCO has no household for: one create carrying the members PCO has (people
-- go first, so members pushed this run are there) and the primary contact, who must be
-- in PCO. Members who are not yet follow as household memberships once they are.
-- A family staff kept local after PCO deleted its household (sync.resolve_removed, the
-- latest choice) is never created. Params: full_push.
WITH in_pco AS (   -- local people PCO has
    SELECT p.id, p.pco_id
      FROM church.people p
     WHERE p.pco_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM sync.removed_in_pco r
                        WHERE r.entity = 'person' AND r.local_id = p.id
                          AND r.resolved_at IS NULL)
),
unlinked AS (
    SELECT f.id, f.name, f.primary_contact_id, pc.pco_id AS primary_pco_id,
           (SELECT jsonb_agg(m.pco_id ORDER BY m.pco_id)
              FROM (SELECT ip.pco_id
                      FROM church.family_members fm
                      JOIN in_pco ip ON ip.id = fm.person_id
                     WHERE fm.family_id = f.id
                    UNION
                    SELECT pc.pco_id WHERE pc.pco_id IS NOT NULL) m) AS people
      FROM church.families f
      LEFT JOIN in_pco pc ON pc.id = f.primary_contact_id
     WHERE f.pco_id IS NULL
),
decided AS (
    SELECT u.*,
           CASE
           WHEN EXISTS (SELECT 1 FROM sync.removed_in_pco r
                         WHERE r.entity = 'family' AND r.local_id = u.id AND r.resolved_at IS NULL)
                THEN 'removed in PCO'
           WHEN (SELECT r.resolution FROM sync.removed_in_pco r
                  WHERE r.entity = 'family' AND r.local_id = u.id AND r.resolved_at IS NOT NULL
                  ORDER BY r.resolved_at DESC, r.id DESC LIMIT 1) = 'keep'
                THEN 'kept local (removed in PCO)'
           WHEN EXISTS (SELECT 1 FROM sync.match_review m
                         WHERE m.entity = 'family' AND m.resolved_at IS NULL
                           AND m.candidates @> ARRAY[u.id])
                THEN 'in match review'
           WHEN u.primary_contact_id IS NULL THEN 'no primary contact'
           WHEN u.primary_pco_id IS NULL THEN 'primary contact not in PCO'
           WHEN NOT %(full_push)s AND f.retry_after > now() THEN 'waiting to retry'
           END AS skip
      FROM unlinked u
      LEFT JOIN sync.push_failures f
        ON f.entity = 'family' AND f.key = u.id::text AND f.operation = 'create'
       AND f.resolved_at IS NULL
)
SELECT 'family' AS entity, d.id::text AS key, 'create' AS operation,
       'POST' AS method, '/people/v2/households' AS path,
       jsonb_build_object('data', jsonb_build_object(
           'type', 'Household',
           'attributes', jsonb_strip_nulls(jsonb_build_object('name', d.name)),
           'relationships', jsonb_build_object(
               'people', jsonb_build_object('data', (
                   SELECT jsonb_agg(jsonb_build_object('type', 'Person', 'id', x))
                     FROM jsonb_array_elements_text(d.people) AS x)),
               'primary_contact', jsonb_build_object('data', jsonb_build_object(
                   'type', 'Person', 'id', d.primary_pco_id))))) AS body,
       d.id AS local_id, d.id AS subject, NULL::text AS pco_id,
       jsonb_build_object('name', d.name, 'primary_contact', d.primary_pco_id,
                          'people', d.people) AS sent,
       jsonb_build_object('primary', d.primary_pco_id, 'name', d.name) AS meta,
       'household' AS lookup,
       EXISTS (SELECT 1 FROM sync.push_pending j
                WHERE j.entity = 'family' AND j.key = d.id::text
                  AND j.operation = 'create') AS pending,
       d.skip
  FROM decided d
 ORDER BY d.id;
