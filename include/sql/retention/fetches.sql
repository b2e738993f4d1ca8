-- One batch of per-group (per-team) list reads older than %(keep_days)s days, deleted,
-- outside the kept runs. The latest read of each group stays: the next snapshot compares
-- with it (extract/previous_fetches.sql).
WITH old AS (
    SELECT f.ctid
      FROM pco_staging.fetches AS f
     WHERE f.fetched_at < now() - make_interval(days => %(keep_days)s)
       AND NOT (f.run_id = ANY (%(kept)s))
       AND EXISTS (SELECT 1
                     FROM pco_staging.fetches AS later
                    WHERE later.stream = f.stream
                      AND later.parent_pco_id = f.parent_pco_id
                      AND later.fetched_at > f.fetched_at)
     LIMIT %(batch)s
)
DELETE FROM pco_staging.fetches AS fetches
 USING old
 WHERE fetches.ctid = old.ctid
