-- Joins, updates and leaves of one kind of group (pco_sync.membership_kind: Group or Team)
-- from merge_ms_scope / merge_ms_present / merge_ms_snapshot (groups/memberships_stage.sql or teams/memberships_stage.sql).
--   listed, person known, no current row          -> join (unless staff ended the very
--                                                    same PCO membership: the push is
--                                                    about to delete it in PCO)
--   listed, current row                           -> PCO's role, join date, positions and
--                                                    membership id (links a local join)
--   listed, person not here yet                   -> waits (pco_staging.waiting_memberships)
--   current PCO-backed row, no longer listed      -> ended_at = today, pco_id = NULL
--   group gone from PCO                           -> every current row ends
-- Local joins not yet pushed (pco_id NULL) are never ended by a snapshot.

-- Waiting: a group read now replaces what waited for it; a gone group's waiters go.
DELETE FROM pco_staging.waiting_memberships w
 USING merge_ms_scope sc
 WHERE w.kind = current_setting('pco_sync.membership_kind')
   AND w.group_pco_id = sc.group_pco_id
   AND (sc.gone OR NOT EXISTS (SELECT 1 FROM merge_ms_snapshot s
                                WHERE s.group_id = sc.group_id AND s.person_id IS NULL
                                  AND s.person_pco_id = w.person_pco_id));

INSERT INTO pco_staging.waiting_memberships AS w
       (kind, group_pco_id, person_pco_id, membership_pco_id, role, joined_at, positions,
        run_id)
SELECT current_setting('pco_sync.membership_kind'), sc.group_pco_id, s.person_pco_id,
       s.membership_pco_id, s.role, s.joined_at, s.positions,
       current_setting('pco_sync.run_id')
  FROM merge_ms_snapshot s
  JOIN merge_ms_scope sc USING (group_id)
 WHERE s.person_id IS NULL
ON CONFLICT (kind, group_pco_id, person_pco_id) DO UPDATE
   SET membership_pco_id = excluded.membership_pco_id, role = excluded.role,
       joined_at = excluded.joined_at, positions = excluded.positions, run_id = excluded.run_id
 WHERE (w.membership_pco_id, w.role, w.joined_at, w.positions)
       IS DISTINCT FROM (excluded.membership_pco_id, excluded.role, excluded.joined_at,
                         excluded.positions);

-- What comes in: this snapshot's known people, and earlier waiters whose person has
-- arrived since (their group was not read this run; a read replaced them above).
DROP TABLE IF EXISTS merge_ms_plan;
CREATE TEMP TABLE merge_ms_plan ON COMMIT DROP AS
WITH incoming AS (
    SELECT group_id, person_id, membership_pco_id, role, joined_at, positions,
           'snapshot' AS source, NULL::text AS group_pco_id, NULL::text AS person_pco_id
      FROM merge_ms_snapshot
     WHERE person_id IS NOT NULL
    UNION ALL
    SELECT g.id, p.id, w.membership_pco_id, w.role, w.joined_at, w.positions,
           'waiting', w.group_pco_id, w.person_pco_id
      FROM pco_staging.waiting_memberships w
      JOIN church.groups g ON g.pco_type = w.kind AND g.pco_id = w.group_pco_id
                          AND g.deleted_in_pco_at IS NULL
      JOIN church.people p ON p.pco_id = w.person_pco_id
     WHERE w.kind = current_setting('pco_sync.membership_kind')
       AND NOT EXISTS (SELECT 1 FROM merge_ms_scope sc WHERE sc.group_pco_id = w.group_pco_id)
)
SELECT i.*, cur.id AS current_id,
       CASE WHEN cur.id IS NOT NULL THEN
                CASE WHEN (cur.pco_id, cur.role, cur.joined_at, cur.positions)
                          IS NOT DISTINCT FROM
                          (i.membership_pco_id, i.role, coalesce(i.joined_at, cur.joined_at),
                           i.positions)
                     THEN 'unchanged' ELSE 'updated' END
            WHEN EXISTS (SELECT 1 FROM church.group_memberships e
                          WHERE e.group_id = i.group_id AND e.person_id = i.person_id
                            AND e.pco_id = i.membership_pco_id AND e.ended_at IS NOT NULL)
            THEN 'leaving'
            ELSE 'created' END AS outcome
  FROM incoming i
  LEFT JOIN church.group_memberships cur
    ON cur.group_id = i.group_id AND cur.person_id = i.person_id AND cur.ended_at IS NULL;

UPDATE church.group_memberships m
   SET pco_id = p.membership_pco_id, role = p.role,
       joined_at = coalesce(p.joined_at, m.joined_at), positions = p.positions
  FROM merge_ms_plan p
 WHERE p.outcome = 'updated' AND m.id = p.current_id;

INSERT INTO church.group_memberships (group_id, person_id, role, joined_at, pco_id, positions)
SELECT group_id, person_id, role, joined_at, membership_pco_id, positions
  FROM merge_ms_plan
 WHERE outcome = 'created';

DELETE FROM pco_staging.waiting_memberships w
 USING merge_ms_plan p
 WHERE p.source = 'waiting'
   AND w.kind = current_setting('pco_sync.membership_kind')
   AND w.group_pco_id = p.group_pco_id AND w.person_pco_id = p.person_pco_id;

-- Leaves.
DROP TABLE IF EXISTS merge_ms_ended;
CREATE TEMP TABLE merge_ms_ended ON COMMIT DROP AS
WITH ended AS (
    UPDATE church.group_memberships m
       SET ended_at = current_date, pco_id = NULL
      FROM merge_ms_scope sc
     WHERE m.group_id = sc.group_id AND m.ended_at IS NULL
       AND (sc.gone
            OR (m.pco_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM merge_ms_present pr
                                 WHERE pr.group_id = m.group_id
                                   AND pr.membership_pco_id = m.pco_id)
                AND NOT EXISTS (SELECT 1 FROM merge_ms_present pr
                                  JOIN church.people p ON p.pco_id = pr.person_pco_id
                                 WHERE pr.group_id = m.group_id AND p.id = m.person_id)))
    RETURNING m.id
)
SELECT id FROM ended;
