-- The batch table, emptied for the next batch.
TRUNCATE pg_temp.pco_extract_batch
