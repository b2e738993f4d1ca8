-- One batch of staging rows into the batch table (create_batch.sql).
COPY pg_temp.pco_extract_batch (seq, pco_id, pco_updated_at, record) FROM STDIN
