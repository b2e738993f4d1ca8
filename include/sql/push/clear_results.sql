-- The batch is saved: its outcomes go.
DELETE FROM push_results
