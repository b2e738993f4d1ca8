-- What pg_stat_xact_user_tables counts for the church and sync tables as the merge starts:
-- besides this transaction's writes it holds the session's from transactions committed
-- within the last second (not yet reported), which analyze_written.sql must not count.
DROP TABLE IF EXISTS merge_writes_before;
CREATE TEMP TABLE merge_writes_before ON COMMIT DROP AS
SELECT relid, n_tup_ins + n_tup_upd + n_tup_del AS written
  FROM pg_stat_xact_user_tables
 WHERE schemaname IN ('church', 'sync');
