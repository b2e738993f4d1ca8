-- After the merge's steps: fresh statistics of every church and sync table the merge has
-- written many rows to (a first sync fills them from nothing); ANALYZE here sees the
-- transaction's own rows. Without it, the next merge (families read people) and any
-- statement after this one plan on what the planner last knew: nothing, or worse, zero
-- rows on pages the insert made (autovacuum's ANALYZE during the transaction does not
-- count uncommitted rows, and pg_class keeps its answer after the commit). A join planned
-- on zero rows becomes a nested loop over every row of both sides: minutes at 100,000
-- people. ANALYZE also holds its table lock to the commit, so no autovacuum run undoes it
-- meanwhile.
--
-- Only the columns indexes and foreign keys name are analyzed: the joins of the steps are on
-- them, and the rest would cost more to sample than they tell the planner (autovacuum
-- analyzes the whole table after the commit).
--
-- "Many" is what autovacuum would analyze for once committed (autovacuum_analyze_threshold
-- + autovacuum_analyze_scale_factor of the table's rows): a small incremental run analyzes
-- nothing. The merge's writes are counted since writes_before.sql, run as it began.

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT format('%I.%I', x.schemaname, x.relname) AS name,
               (SELECT ' (' || string_agg(quote_ident(col.attname), ', ') || ')'
                  FROM pg_attribute col
                 WHERE col.attrelid = x.relid AND col.attnum > 0 AND NOT col.attisdropped
                   AND (EXISTS (SELECT 1 FROM pg_index i
                                 WHERE i.indrelid = x.relid AND col.attnum = ANY (i.indkey))
                        OR EXISTS (SELECT 1 FROM pg_constraint k
                                    WHERE k.conrelid = x.relid AND k.contype = 'f'
                                      AND col.attnum = ANY (k.conkey)))) AS columns
          FROM pg_stat_xact_user_tables x
          JOIN pg_class c ON c.oid = x.relid
          LEFT JOIN merge_writes_before b ON b.relid = x.relid
         WHERE x.schemaname IN ('church', 'sync')
           AND x.n_tup_ins + x.n_tup_upd + x.n_tup_del - coalesce(b.written, 0)
               > current_setting('autovacuum_analyze_threshold')::bigint
                 + current_setting('autovacuum_analyze_scale_factor')::float8
                   * greatest(c.reltuples, 0)
         ORDER BY x.relid
    LOOP
        EXECUTE 'ANALYZE ' || t.name || coalesce(t.columns, '');
    END LOOP;
END
$$;
