"""The first sync of a 100,000-person church: merge_people then merge_families (pco_sync.merge,
each one transaction, as the DAG runs them) from this run's staged rows into an empty church
schema, against COPY of the same rows in the same run (target: at most 3 times).

The COPY baseline: the rows the merge wrote to church.people, emails, phone_numbers,
addresses, families and family_members, taken out with COPY TO and loaded back with COPY
FROM into the same tables, emptied (their indexes, foreign keys and triggers included), in
one transaction. That is the cheapest way to land exactly the merge's output. The merge also
matches, compares and keeps the sync's own records (agreed states, conflicts, review); the
bound leaves it 3 times the pure load for all of that.

The staged rows are the extract benchmark's (or extracted now, see bench.church). Both are
measured REPEATS times, alternately, and the figure is the median of each: other work on a
shared machine moves single runs by a third either way. Per-step times of the merge SQL are
printed too, so a miss shows what dominates.
"""
from __future__ import annotations

import statistics
import time

from bench import church
from pco_sync import church_db as pco_db
from pco_sync import sqlfiles
from pco_sync.merge.run import merge

# Parents before children, so COPY FROM meets every foreign key.
TABLES = ("people", "families", "family_members", "emails", "phone_numbers", "addresses")
TARGET = 3.0
REPEATS = 3


def run() -> dict[str, dict]:
    db_url = church.database()
    run_id = church.ensure_staged(db_url)
    merges, copies, rows = [], [], None
    with pco_db.connect(db_url) as conn:
        for attempt in range(REPEATS):
            empty(conn)
            clock = StepClock(conn)
            started = time.perf_counter()
            clock.entity = "people"
            people = merge(clock, "people", run_id)["people"]
            clock.entity = "families"
            families = merge(clock, "households", run_id)["families"]
            merges.append(time.perf_counter() - started)
            if people["created"] < church.PEOPLE:
                raise RuntimeError(f"the merge created {people['created']} people, expected "
                                   f"{church.PEOPLE}: not a first sync into an empty church")
            rows = rows or {t: take(conn, t) for t in TABLES}
            empty(conn)
            started = time.perf_counter()
            with conn.transaction():
                for table in TABLES:
                    put(conn, table, rows[table])
            copies.append(time.perf_counter() - started)
            if attempt == 0:
                print(f"merge: people {people}, families {families}", flush=True)
                print("merge: COPY baseline: " + ", ".join(
                    f"{t} {conn.execute(f'SELECT count(*) FROM church.{t}').fetchone()[0]:,}"
                    for t in TABLES) + " rows", flush=True)
            print(f"merge: run {attempt + 1}: merge {merges[-1]:.2f} s, COPY {copies[-1]:.2f} s;"
                  " slowest steps: " + ", ".join(f"{name} {secs:.2f}"
                                                 for name, secs in clock.slowest(6)), flush=True)
        conn.commit()
    return {"merge.first_sync_100k_seconds": {
        "value": round(statistics.median(merges), 2),
        "bound": round(statistics.median(copies), 2), "target": TARGET, "unit": "s"}}


def empty(conn) -> None:
    """Every church and sync table emptied (staging kept): an empty church schema."""
    tables = conn.execute("SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                          "WHERE schemaname IN ('church', 'sync')").fetchall()
    conn.execute("TRUNCATE " + ", ".join(t for (t,) in tables) + " RESTART IDENTITY CASCADE")
    conn.commit()


def take(conn, table: str) -> bytes:
    out = bytearray()
    with conn.cursor().copy(f"COPY church.{table} TO STDOUT") as copy:
        for chunk in copy:
            out += chunk
    conn.commit()
    return bytes(out)


def put(conn, table: str, data: bytes) -> None:
    with conn.cursor().copy(f"COPY church.{table} FROM STDIN") as copy:
        copy.write(data)


class StepClock:
    """The connection merge.py is given, timing each include/sql/merge step it executes
    (a step is recognised by its text) and passing everything else through."""

    def __init__(self, conn):
        self.conn, self.entity, self.seconds = conn, "", {}
        root = sqlfiles.root() / "merge"
        self.names = {f.read_text(encoding="utf-8"): str(f.relative_to(root).with_suffix(""))
                      for f in root.rglob("*.sql")}

    def execute(self, query, *args, **kwargs):
        started = time.perf_counter()
        cur = self.conn.execute(query, *args, **kwargs)
        name = self.names.get(query) if isinstance(query, str) else None
        if name:
            key = name if name.startswith(self.entity) else f"{self.entity}/{name}"
            self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - started
        return cur

    def slowest(self, n: int) -> list[tuple[str, float]]:
        return sorted(self.seconds.items(), key=lambda kv: -kv[1])[:n]

    def __getattr__(self, name):
        return getattr(self.conn, name)
