-- One row per failing record and check, with the raw staged payload; re-runs refresh it.
INSERT INTO sync.quarantine (run_id, stream, pco_id, check_name, detail, payload)
SELECT %(run_id)s, %(stream)s, failed.pco_id, failed.check_name, failed.detail, staged.record
FROM unnest(%(pco_ids)s::text[], %(checks)s::text[], %(details)s::text[])
         AS failed (pco_id, check_name, detail)
JOIN pco_staging.{stream} AS staged
  ON staged.run_id = %(run_id)s AND staged.pco_id = failed.pco_id
ON CONFLICT DO NOTHING
