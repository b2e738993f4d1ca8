-- After a whole read: fresh statistics of {table} for the checks and the merge that read it
-- next (a first sync fills an empty table; plans made on its old statistics go wrong).
ANALYZE {table}
