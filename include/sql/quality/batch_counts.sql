-- Records staged and records quarantined for one stream of this run ({stream} filled in by quality.py).
SELECT (SELECT count(*) FROM pco_staging.{stream} WHERE run_id = %(run_id)s),
       (SELECT count(DISTINCT q.pco_id) FROM sync.quarantine AS q
        WHERE q.run_id = %(run_id)s AND q.stream = %(stream)s)
