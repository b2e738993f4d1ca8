-- Linked records a snapshot missed that a GET found after all: staged as if listed.
INSERT INTO {table} (run_id, pco_id, pco_updated_at, record, loaded_at)
VALUES (current_setting('pco_sync.run_id'), %s, %s, %s, clock_timestamp())
ON CONFLICT DO NOTHING
