-- Whether a church table with a pco_id exists yet (a fresh database has nothing linked).
SELECT 1 FROM information_schema.columns
WHERE table_schema = %s AND table_name = %s AND column_name = 'pco_id'
