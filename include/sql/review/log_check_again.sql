-- Audit "check again" on each quarantine row, as it was before the check: passing now (the
-- row resolved, or gone when the run that re-checked it was the one that found it) or still
-- failing (open).
INSERT INTO sync.resolution_log (actor, action, entity, pco_id, field, subject_id, before, after)
SELECT %(actor)s::text, 'quarantine:check', c.stream, c.pco_id, c.check_name, c.id,
       jsonb_build_object('detail', c.detail, 'run_id', c.run_id),
       jsonb_build_object('passes', NOT EXISTS (SELECT 1 FROM sync.quarantine AS q
                                                 WHERE q.id = c.id AND q.resolved_at IS NULL))
  FROM unnest(%(ids)s::bigint[], %(streams)s::text[], %(run_ids)s::text[], %(pco_ids)s::text[],
              %(checks)s::text[], %(details)s::text[])
       AS c (id, stream, run_id, pco_id, check_name, detail)
 ORDER BY c.id
RETURNING id
