-- Records staged and records quarantined for one stream of this run ({table}: pco_staging.<stream>, an identifier).
SELECT (SELECT count(*) FROM {table} WHERE run_id = current_setting('pco_sync.run_id')),
       (SELECT count(DISTINCT q.pco_id) FROM sync.quarantine AS q
        WHERE q.run_id = current_setting('pco_sync.run_id') AND q.stream = %(stream)s)
