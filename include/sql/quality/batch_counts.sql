-- Records staged and records quarantined for one stream of this run ({table}: pco_staging.<stream>, an identifier).
-- A record counts once however many of its checks or contacts failed (a person with one
-- bad phone number is one quarantined person, though merged without that number).
SELECT (SELECT count(*) FROM {table} WHERE run_id = current_setting('pco_sync.run_id')),
       (SELECT count(DISTINCT q.pco_id)
          FROM sync.quarantine AS q
          JOIN {table} AS staged
            ON staged.run_id = current_setting('pco_sync.run_id') AND staged.pco_id = q.pco_id
         WHERE q.run_id = current_setting('pco_sync.run_id') AND q.stream = %(stream)s
           AND q.resolved_at IS NULL)
