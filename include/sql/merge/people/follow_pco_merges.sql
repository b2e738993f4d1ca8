-- PCO merged two people: the removed id 404s from now on and its contacts and households
-- live on the kept person. Before matching, a local person linked to a removed id follows
-- the merge to the final kept id (merges chain: A into B, later B into C), so the kept
-- record of this run updates them instead of looking like someone new.
INSERT INTO sync.pco_merges (removed_pco_id, kept_pco_id, merged_at)
SELECT DISTINCT ON (m.record -> 'attributes' ->> 'person_to_remove_id')
       m.record -> 'attributes' ->> 'person_to_remove_id',
       m.record -> 'attributes' ->> 'person_to_keep_id',
       (m.record -> 'attributes' ->> 'created_at')::timestamptz
  FROM pco_staging.person_mergers AS m
 WHERE m.run_id = current_setting('pco_sync.run_id')
   AND m.record -> 'attributes' ->> 'person_to_remove_id' IS NOT NULL
   AND m.record -> 'attributes' ->> 'person_to_keep_id' IS NOT NULL
 ORDER BY m.record -> 'attributes' ->> 'person_to_remove_id', m.pco_updated_at DESC NULLS LAST
ON CONFLICT (removed_pco_id) DO NOTHING;

DROP TABLE IF EXISTS merge_pco_merges;
CREATE TEMP TABLE merge_pco_merges ON COMMIT DROP AS
WITH RECURSIVE chain AS (
    SELECT removed_pco_id, kept_pco_id, 1 AS depth
      FROM sync.pco_merges
    UNION ALL
    SELECT chain.removed_pco_id, next.kept_pco_id, chain.depth + 1
      FROM chain
      JOIN sync.pco_merges AS next ON next.removed_pco_id = chain.kept_pco_id
     WHERE chain.depth < 50          -- a cycle in bad data must not loop forever
),
final AS (
    SELECT DISTINCT ON (removed_pco_id) removed_pco_id, kept_pco_id
      FROM chain
     ORDER BY removed_pco_id, depth DESC
),
affected AS (
    SELECT p.id AS person_id, final.removed_pco_id, final.kept_pco_id,
           (SELECT other.id FROM church.people AS other
             WHERE other.pco_id = final.kept_pco_id) AS kept_linked_to
      FROM final
      JOIN church.people AS p ON p.pco_id = final.removed_pco_id
)
SELECT person_id, removed_pco_id, kept_pco_id, kept_linked_to
  FROM affected;

-- Nobody here has the kept id yet: the link moves (agreed state and family memberships too,
-- so the next comparison is against what was agreed, not a blank).
UPDATE church.people AS p
   SET pco_id = m.kept_pco_id
  FROM merge_pco_merges AS m
 WHERE p.id = m.person_id AND m.kept_linked_to IS NULL;

UPDATE sync.agreed_people AS a
   SET pco_id = m.kept_pco_id
  FROM merge_pco_merges AS m
 WHERE a.person_id = m.person_id AND m.kept_linked_to IS NULL;

UPDATE sync.agreed_family_members AS f
   SET person_pco_id = m.kept_pco_id
  FROM merge_pco_merges AS m
 WHERE f.person_pco_id = m.removed_pco_id AND m.kept_linked_to IS NULL
   AND NOT EXISTS (SELECT 1 FROM sync.agreed_family_members AS dup
                    WHERE dup.family_id = f.family_id AND dup.person_pco_id = m.kept_pco_id);

-- The kept PCO person is already someone else here: two local records of one person.
-- Never merge local records on our own: the merged-away one is marked, and the push will
-- not re-create it in PCO; staff merge the two locally.
INSERT INTO sync.removed_in_pco (entity, local_id, pco_id, reason, run_id)
SELECT 'person', m.person_id, m.removed_pco_id,
       format('merged in PCO into %s, which is linked to local person %s',
              m.kept_pco_id, m.kept_linked_to),
       current_setting('pco_sync.run_id')
  FROM merge_pco_merges AS m
 WHERE m.kept_linked_to IS NOT NULL
ON CONFLICT (entity, local_id) WHERE resolved_at IS NULL DO NOTHING;
