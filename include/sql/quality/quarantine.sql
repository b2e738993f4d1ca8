-- One row per failing record and check, with the raw staged payload; re-runs refresh it.
INSERT INTO sync.quarantine (run_id, stream, pco_id, check_name, detail, payload)
SELECT current_setting('pco_sync.run_id'), %(stream)s, failed.pco_id, failed.check_name, failed.detail, staged.record
FROM unnest(%(pco_ids)s::text[], %(checks)s::text[], %(details)s::text[])
         AS failed (pco_id, check_name, detail)
JOIN {table} AS staged
  ON staged.run_id = current_setting('pco_sync.run_id') AND staged.pco_id = failed.pco_id
ON CONFLICT DO NOTHING
