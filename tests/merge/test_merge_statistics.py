"""A merge plans on statistics of what it works on (issue 18: nested loops over 100,000
people).

- It analyzes the church and sync tables it filled (merge/shared/analyze_written.sql),
  inside its transaction: a first sync leaves statistics of what it wrote, so the
  statements after it and the next merge do not plan on empty tables. A small run analyzes
  nothing.
- The people merge's steps plan on current statistics of merge_people, the temp table they
  hand each other. Its outcomes change inside the merge: match.sql writes 'linked', then
  merge.sql turns those into 'unchanged' or 'updated'. A step filtering on an outcome the
  statistics have never seen is planned for one row. On a nightly whole read of 100,000
  unchanged people, that made the last UPDATE of contacts_agreed.sql a nested loop of
  100,000 by 210,000 rows, running for hours (`make bench`'s merge.nightly_100k_seconds
  measures that case). Every statement of a second, unchanged merge is EXPLAINed just before
  it runs, in the merge's own transaction: each scan of merge_people by outcome must expect
  about as many rows as it will find. The planner, not the clock, is what is checked.
"""
from __future__ import annotations

import re

import sqlparse

from pco_simulator.generator import generate
from pco_sync import church_db, sqlfiles
from pco_sync.merge import run as merge_run
from pco_sync.quality.gates import gate
from pco_sync.quality.validate import validate_resource
from pipeline import client_for, extract, merge_people, sync
from test_merge_people import person, stage

RUN = "run-stats"
SCAN = re.compile(r"Seq Scan on (merge_people|merge_families)\b.*?rows=(\d+).*?\n\s*Filter: "
                  r"\(outcome = '(\w+)'::text\)\n")
# What EXPLAIN takes: queries and writes, and CREATE TABLE ... AS (not DDL, DO or ANALYZE).
EXPLAINABLE = re.compile(r"(SELECT|INSERT|UPDATE|DELETE|WITH)\b|CREATE TEMP TABLE \w+ ON COMMIT DROP AS\b",
                         re.IGNORECASE)


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


class Explaining:
    """The connection merge() is given: each statement of each step (a file of several,
    sent without parameters) is EXPLAINed and checked before it runs, then run alone."""

    def __init__(self, conn):
        self.conn, self.checked, self.misses = conn, [], []

    def execute(self, query, params=None):
        if params is not None or not isinstance(query, str) or "merge_" not in query:
            return self.conn.execute(query, params)
        cur = None
        for statement in sqlparse.split(query):
            text = sqlparse.format(statement, strip_comments=True).strip()
            if not text:
                continue
            if EXPLAINABLE.match(text):
                self._check(text)
            cur = self.conn.execute(text)
        return cur

    def _check(self, text: str) -> None:
        plan = "\n".join(r[0] for r in self.conn.execute("EXPLAIN " + text)) + "\n"
        for table, expected, outcome in SCAN.findall(plan):
            actual = self.conn.execute(f"SELECT count(*) FROM {table} WHERE outcome = %s",
                                       (outcome,)).fetchone()[0]
            self.checked.append((table, outcome, int(expected), actual))
            if actual >= 100 and int(expected) < actual / 10:
                self.misses.append((table, outcome, int(expected), actual,
                                    " ".join(text.split())[:160]))

    def __getattr__(self, name):
        return getattr(self.conn, name)


def test_a_whole_read_of_unchanged_people_and_households_plans_on_current_outcomes(
        sim, db, db_url):
    generate(sim.store, 400, seed=11)
    first = sync(sim, db_url, "r1", ("people", "households"))
    assert first["people"]["created"] >= 300 and first["families"]["created"] >= 100

    client = client_for(sim, max_retries=2)
    for resource in ("people", "households"):
        extract(client, db_url, resource, "r2", full_refresh=True)
    with church_db.connect(db_url) as conn:
        for resource in ("people", "households"):
            validate_resource(conn, resource, "r2")
        gate(conn, "r2", full_refresh=True)
        explaining = Explaining(conn)
        people = merge_run.merge(explaining, "people", "r2")["people"]
        families = merge_run.merge(explaining, "households", "r2")["families"]

    assert people["unchanged"] == first["people"]["created"]
    assert families["unchanged"] == first["families"]["created"]
    # the scans by 'unchanged' were seen, of both tables
    seen = {(t, o) for t, o, _, actual in explaining.checked if actual >= 100}
    assert {("merge_people", "unchanged"), ("merge_families", "unchanged")} <= seen
    assert explaining.misses == []
