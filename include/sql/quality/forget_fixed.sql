-- A re-run of validate: open quarantine rows of this run and stream that no longer fail go.
DELETE FROM sync.quarantine AS q
WHERE q.run_id = current_setting('pco_sync.run_id')
  AND q.stream = %(stream)s
  AND q.resolved_at IS NULL
  AND NOT EXISTS (
      SELECT 1
      FROM unnest(%(pco_ids)s::text[], %(checks)s::text[]) AS failed (pco_id, check_name)
      WHERE failed.pco_id = q.pco_id AND failed.check_name = q.check_name)
