-- Local people PCO does not have yet: one create per person, or the reason it waits.
-- The body carries the pushed fields as they are locally (nulls too, so PCO holds exactly
-- what the agreed state will say) and remote_id = the local id. A create is journaled
-- before it is sent; a journal row left by an earlier attempt (a crash, no answer, a 5xx)
-- makes it pending: the push looks for remote_id = the local id first. A create with no
-- journal row is sent without a lookup. Params: fields, require_email, active_only (an
-- inactive local person is not created), everyone (else push_scope), full_push (retry
-- failures now). What staff chose for a person PCO no longer
-- had (sync.resolve_removed, the latest choice): kept local, never created; recreate,
-- created whatever the scope and the email rule.
WITH unlinked AS (
    SELECT p.*,
           (SELECT r.resolution FROM sync.removed_in_pco r
             WHERE r.entity = 'person' AND r.local_id = p.id AND r.resolved_at IS NOT NULL
             ORDER BY r.resolved_at DESC, r.id DESC LIMIT 1) AS removal
      FROM church.people p
     WHERE p.pco_id IS NULL
),
decided AS (
    SELECT u.*,
           CASE
           WHEN EXISTS (SELECT 1 FROM sync.removed_in_pco r
                         WHERE r.entity = 'person' AND r.local_id = u.id AND r.resolved_at IS NULL)
                THEN 'removed in PCO'
           WHEN u.removal = 'keep' THEN 'kept local (removed in PCO)'
           WHEN EXISTS (SELECT 1 FROM sync.match_review m
                         WHERE m.entity = 'person' AND m.resolved_at IS NULL
                           AND m.candidates @> ARRAY[u.id])
                THEN 'in match review'
           WHEN %(active_only)s AND u.status <> 'active' AND u.removal IS DISTINCT FROM 'recreate'
                THEN 'inactive'
           WHEN NOT %(everyone)s AND u.removal IS DISTINCT FROM 'recreate'
                AND NOT EXISTS (SELECT 1 FROM push_scope s WHERE s.person_id = u.id)
                THEN 'not in a sync group'
           WHEN %(require_email)s AND u.removal IS DISTINCT FROM 'recreate'
                AND NOT EXISTS (SELECT 1 FROM church.emails e
                                 WHERE e.person_id = u.id AND btrim(e.address) <> '')
                THEN 'no email'
           WHEN NOT %(full_push)s AND f.retry_after > now()
                THEN 'waiting to retry'
           END AS skip,
           (SELECT jsonb_object_agg(k, v)
              FROM jsonb_each(jsonb_build_object(
                       'first_name', u.first_name, 'last_name', u.last_name,
                       'nickname', u.nickname, 'middle_name', u.middle_name,
                       'birthdate', u.birthdate, 'gender', u.gender, 'status', u.status,
                       'membership', u.membership, 'child', u.child)) AS x(k, v)
             WHERE k = ANY (%(fields)s)) AS sent
      FROM unlinked u
      LEFT JOIN sync.push_failures f
        ON f.entity = 'person' AND f.key = u.id::text AND f.operation = 'create'
       AND f.resolved_at IS NULL
)
SELECT 'person' AS entity, d.id::text AS key, 'create' AS operation,
       'POST' AS method, '/people/v2/people' AS path,
       jsonb_build_object('data', jsonb_build_object(
           'type', 'Person',
           'attributes', d.sent || jsonb_build_object('remote_id', d.id))) AS body,
       d.id AS local_id, d.id AS subject, NULL::text AS pco_id, d.sent,
       jsonb_build_object('remote_id', d.id, 'first_name', d.first_name,
                          'last_name', d.last_name) AS meta,
       'remote_id' AS lookup,
       EXISTS (SELECT 1 FROM sync.push_pending j
                WHERE j.entity = 'person' AND j.key = d.id::text
                  AND j.operation = 'create') AS pending,
       d.skip
  FROM decided d
 ORDER BY d.id;
