-- PCO's person team position assignments of each team read whole this run become
-- sync.team_assignments (what the push compares local positions with): a team's rows are
-- replaced by its list; a team gone from PCO keeps none. Quarantined records are left as
-- they were (neither added nor dropped) until they pass. Teams not read this run keep theirs.
WITH listed AS (
    SELECT st.membership_pco_id AS pco_id, st.group_id, st.person_pco_id,
           st.position_pco_id, st.passing
      FROM merge_ms_staged AS st
     WHERE st.person_pco_id IS NOT NULL AND st.position_pco_id IS NOT NULL
),
dropped AS (
    DELETE FROM sync.team_assignments AS a
     USING merge_ms_scope AS sc
     WHERE a.group_id = sc.group_id
       AND NOT EXISTS (SELECT 1 FROM listed AS l WHERE l.pco_id = a.pco_id)
    RETURNING a.pco_id
)
INSERT INTO sync.team_assignments AS a (pco_id, group_id, person_pco_id, position_pco_id)
SELECT l.pco_id, l.group_id, l.person_pco_id, l.position_pco_id
  FROM listed AS l
 WHERE l.passing
ON CONFLICT (pco_id) DO UPDATE
   SET group_id = excluded.group_id, person_pco_id = excluded.person_pco_id,
       position_pco_id = excluded.position_pco_id, seen_at = now()
 WHERE (a.group_id, a.person_pco_id, a.position_pco_id)
       IS DISTINCT FROM (excluded.group_id, excluded.person_pco_id, excluded.position_pco_id);
