-- One batch of staged copies nobody needs any more, deleted from {table}: copies of runs
-- outside the kept ones (%(kept)s) that a newer copy of the same record replaced. Kept
-- always: each record's latest copy (the push compares with it, the latest-copy guard and
-- the repair of duplicates read it) and a copy an open quarantine item is about ("Check
-- again" validates that very copy).
WITH replaced AS (
    SELECT old.ctid
      FROM {table} AS old
     WHERE NOT (old.run_id = ANY (%(kept)s))
       AND EXISTS (SELECT 1
                     FROM {table} AS newer
                    WHERE newer.pco_id = old.pco_id
                      AND (newer.loaded_at > old.loaded_at
                           OR (newer.loaded_at = old.loaded_at AND newer.run_id > old.run_id)))
       AND NOT EXISTS (SELECT 1
                         FROM sync.quarantine AS q
                        WHERE q.resolved_at IS NULL
                          AND q.run_id = old.run_id
                          AND q.stream = {stream}
                          AND q.pco_id = old.pco_id)
     LIMIT %(batch)s
)
DELETE FROM {table} AS staged
 USING replaced
 WHERE staged.ctid = replaced.ctid
