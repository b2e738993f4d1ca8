-- The run every statement of this session works for: SQL reads it as
-- current_setting('pco_sync.run_id'), the one way a run id reaches include/sql.
SELECT set_config('pco_sync.run_id', %(run_id)s, false)
