-- One open row per failing record (or contact of it) and check, with the raw staged
-- payload. Found again, by a later run or a re-run, the open row is updated: run_id
-- becomes the latest run that saw it, detail and payload the latest seen; quarantined_at
-- and first_run_id keep the first sighting. ({table}: the stream's staging table.)
-- A failure staff dismissed (sync.dismiss_quarantine) is not quarantined again while the
-- staged record is the one they saw; a changed record is.
INSERT INTO sync.quarantine AS q
       (run_id, first_run_id, stream, pco_id, contact_kind, contact_id, check_name, detail,
        payload)
SELECT current_setting('pco_sync.run_id'), current_setting('pco_sync.run_id'), %(stream)s,
       failed.pco_id, failed.contact_kind, failed.contact_id, failed.check_name,
       failed.detail, staged.record
FROM unnest(%(pco_ids)s::text[], %(contact_kinds)s::text[], %(contact_ids)s::text[],
            %(checks)s::text[], %(details)s::text[])
         AS failed (pco_id, contact_kind, contact_id, check_name, detail)
JOIN {table} AS staged
  ON staged.run_id = current_setting('pco_sync.run_id') AND staged.pco_id = failed.pco_id
WHERE NOT EXISTS (SELECT 1 FROM sync.quarantine AS d
                   WHERE d.resolution = 'dismissed' AND d.stream = %(stream)s
                     AND d.pco_id = failed.pco_id AND d.check_name = failed.check_name
                     AND d.contact_id IS NOT DISTINCT FROM failed.contact_id
                     AND d.payload = staged.record)
ON CONFLICT (stream, (coalesce(pco_id, '')), (coalesce(contact_id, '')), check_name)
   WHERE resolved_at IS NULL
DO UPDATE SET run_id = excluded.run_id, contact_kind = excluded.contact_kind,
              detail = excluded.detail, payload = excluded.payload
 WHERE (q.run_id, q.contact_kind, q.detail, q.payload)
       IS DISTINCT FROM (excluded.run_id, excluded.contact_kind, excluded.detail, excluded.payload)
