-- Open quarantine rows of one stream that this validation no longer finds failing
-- ({table}: the stream's staging table, an identifier):
--   found first by this run (an earlier attempt of it, whose staging was replaced): deleted;
--   found by an earlier run, the record staged by this run and passing now: resolved (PCO
--   fixed it; a contact row also when PCO removed the contact);
--   the record not staged by this run (a window that did not see it): left open.
-- A contact row is only resolved by a record that lists that kind of contact at all.
WITH failing AS (
    SELECT *
      FROM unnest(%(pco_ids)s::text[], %(contact_ids)s::text[], %(checks)s::text[])
           AS failed (pco_id, contact_id, check_name)
),
fixed AS (
    SELECT q.id, coalesce(q.first_run_id, q.run_id) = current_setting('pco_sync.run_id') AS this_run
      FROM sync.quarantine AS q
     WHERE q.stream = %(stream)s
       AND q.resolved_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM failing AS f
                        WHERE f.pco_id = q.pco_id
                          AND f.contact_id IS NOT DISTINCT FROM q.contact_id
                          AND f.check_name = q.check_name)
       AND (coalesce(q.first_run_id, q.run_id) = current_setting('pco_sync.run_id')
            OR EXISTS (SELECT 1 FROM {table} AS staged
                        WHERE staged.run_id = current_setting('pco_sync.run_id')
                          AND staged.pco_id = q.pco_id
                          AND (q.contact_kind IS NULL
                               OR jsonb_typeof(staged.record -> 'included' -> (
                                      CASE q.contact_kind WHEN 'email' THEN 'emails'
                                                          ELSE 'phone_numbers' END)) = 'array')))
),
dropped AS (
    DELETE FROM sync.quarantine AS q
     USING fixed
     WHERE q.id = fixed.id AND fixed.this_run
)
UPDATE sync.quarantine AS q
   SET resolved_at = now()
  FROM fixed
 WHERE q.id = fixed.id AND NOT fixed.this_run
