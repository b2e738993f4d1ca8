"""A merge analyzes the church and sync tables it filled (merge/shared/analyze_written.sql),
inside its transaction: a first sync leaves statistics of what it wrote, so the statements
after it and the next merge do not plan on empty tables (issue 18: nested loops over
100,000 people). A small run analyzes nothing."""
from __future__ import annotations

from pco_sync import sqlfiles
from pipeline import merge_people
from test_merge_people import person, stage

RUN = "run-stats"


def reltuples(db, table: str) -> float:
    return db.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                      (table,)).fetchone()[0]


def test_first_sync_leaves_statistics_of_what_it_wrote(db):
    stage(db, *[person(f"p{i}", f"First{i}", f"Last{i}", emails=[(f"e{i}", f"p{i}@x.test")])
                for i in range(120)], run_id=RUN)
    # As TRUNCATE or a new table leaves it: never analyzed.
    assert reltuples(db, "church.people") < 0
    assert merge_people(db, RUN)["created"] == 120
    assert reltuples(db, "church.people") == 120
    assert reltuples(db, "sync.agreed_people") == 120
    assert reltuples(db, "church.emails") == 120
    assert reltuples(db, "sync.agreed_contacts") == 120
    # The join columns have statistics; the others are left to autovacuum.
    analyzed = {a for (a,) in db.execute(
        "SELECT attname FROM pg_stats WHERE schemaname = 'church' AND tablename = 'people'")}
    assert {"id", "pco_id"} <= analyzed


def test_analyze_counts_only_this_transactions_writes_beyond_autovacuums_threshold(db):
    db.execute("INSERT INTO church.people (first_name) SELECT 'A' || i "
               "FROM generate_series(1, 200) AS i")
    db.commit()
    db.execute("ANALYZE church.people")
    db.commit()
    assert reltuples(db, "church.people") == 200
    step = sqlfiles.read("merge/shared/analyze_written.sql")
    with db.transaction():
        # The 200 rows just committed may not be reported yet: pg_stat_xact_user_tables
        # counts them until they are, and the merge's count starts here.
        db.execute(sqlfiles.read("merge/shared/writes_before.sql"))
        # 60 rows: under 50 + 10% of 200, as autovacuum would wait too.
        db.execute("INSERT INTO church.people (first_name) SELECT 'B' || i "
                   "FROM generate_series(1, 60) AS i")
        db.execute(step)
        assert reltuples(db, "church.people") == 200
        # 80 rows in all now: analyzed, this transaction's own rows counted.
        db.execute("INSERT INTO church.people (first_name) SELECT 'C' || i "
                   "FROM generate_series(1, 20) AS i")
        db.execute(step)
        assert reltuples(db, "church.people") == 280
