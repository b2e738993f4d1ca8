"""Soak (issue 18): two weeks of service in about a quarter of an hour. Does the church
database stay the size of the church's data, and does the last day's sync cost what the
first day's did?

The church: the simulator's generated church of PEOPLE people (households, groups, teams,
events), synced once whole (day 0, as a first run does). Then DAYS simulated days, each
RUNS_PER_DAY scheduled runs of consecutive windows that cover the day (hourly, not every
15 minutes: four times fewer runs so the suite fits its time; each run is the code path of
a 15-minute run, only its window is longer). The simulator's clock is moved to each
window's end before its run (its admin API), so PCO's updated_at stamps, the nightly
whole read of people (02:00 UTC), the 6-hourly household and group/team snapshots and the
03:00 events refresh all fall as they do in production.

Each day brings the same amount of change, spread evenly over its daytime windows (so each
day's runs and webhook batches fall in the same hours, and the kept runs cover the same
span at each day's end; who is changed is drawn at random): edits in PCO
(names, emails, phones), new people in PCO, people made inactive, group joins and leaves,
a webhook delivery for part of the PCO edits (stored in the inbox as the receiver stores
it, drained as the webhooks DAG drains it), and church staff editing and adding people
locally (pushed to PCO).

A run here is the sync DAG's task code called in order in this process (pco_sync.extract,
quality, merge, push, retention, summary; every resource validated and merged, as the DAG's
trigger rules make them run), with the clean-up keeping KEEP_RUNS runs: what the default
pco_sync_staging_keep_runs (288 runs: three days of 15-minute runs) keeps, at this rate.
The day-based retentions (resolved quarantine, merged deliveries, run records; 30 days)
count days on the database's clock, which the soak does not move: those rows stay, and are
part of the growth measured. Each simulated day ends with a VACUUM of the database: what
a real day's autovacuum has done by then, so a day's size is not the moment's.

Figures:
- soak.db_growth_per_day: the database's growth per day over the second week (its largest
  size at a day's end in the second week, less that of the first, over 7), against the
  day's changed data stored once more in full (the records changed that day times a
  record's share of the database after the first full sync: its staged copy, its church
  rows, links and indexes) plus what a day adds to what is kept by age (run records,
  row-check results, merged deliveries: kept 30 days, so through a 14-day soak they are
  all the kept window). Kept copies of changed records come and go within the kept runs;
  only new records stay. Target 1.0. Without the clean-up each nightly read alone adds a
  copy of every person (about 3 MB a day here, against a bound under 1 MB).
- soak.last_day_run_seconds: the last day's runs (sync runs and webhook drains), against
  the first day's, the same work each day. Target 1.1.
"""
from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone

import psycopg
import requests

from bench import church
from pco_sync import church_db as pco_db
from pco_sync import summary
from pco_sync.extract import run as extracts
from pco_sync.merge.run import merge
from pco_sync.pco import resources
from pco_sync.pco.client import PcoClient
from pco_sync.push import run as pushes
from pco_sync.push.entities import PUSHES
from pco_sync.quality.gates import gate
from pco_sync.quality.validate import validate_resource
from pco_sync.retention.clean import Retention, clean
from pco_sync.webhooks import events, inbox, process

PEOPLE = 2_000
DAYS = 14
RUNS_PER_DAY = 24
KEEP_RUNS = 3 * RUNS_PER_DAY
DAYTIME = range(8, 20)  # the windows (hours) a day's changes are made in
# One day's changes (the same every day; who is changed is drawn at random).
DAILY = {"pco_edits": 40, "pco_new": 4, "pco_inactivated": 2, "group_joins": 4,
         "group_leaves": 2, "local_edits": 6, "local_new": 2}
DELIVERED_EVERY = 2  # every second PCO edit of an hour also arrives as a webhook delivery
GROWTH_TARGET, RUN_TIME_TARGET = 1.0, 1.1
DB_NAME = "pco_sync_bench_soak"
# What the clean-up keeps pco_sync_retention_days (30) days: longer than the soak.
KEPT_BY_DAYS = ("sync.quality_results", "sync.webhook_deliveries", "sync.quarantine",
                "pco_staging.extracts", "pco_staging.fetches", "pco_staging.gone")


def run() -> dict[str, dict]:
    db_url = database()
    with church.simulator(PEOPLE, rate_limit=10_000_000) as sim, \
            pco_db.connect(db_url) as conn:
        world = World(sim.url, conn)
        empty = size(db_url)
        start = world.first_sync()
        after_first = size(db_url)
        people = world.count("SELECT count(*) FROM church.people")
        per_record = (after_first["total"] - empty["total"]) / people
        print(f"soak: first full sync of {people:,} people: database "
              f"{mb(after_first['total'])} (empty {mb(empty['total'])}), "
              f"{per_record / 1024:.1f} kB per person; {world.report()}", flush=True)
        sizes, seconds = [after_first], []
        for day in range(1, DAYS + 1):
            seconds.append(world.day(day, start + timedelta(days=day - 1)))
            vacuum(db_url)
            sizes.append(size(db_url))
            print(f"soak: day {day:2}: runs {seconds[-1]:6.1f} s; database "
                  f"{mb(sizes[-1]['total'])} (staging {mb(sizes[-1]['staging'])}, church and "
                  f"sync {mb(sizes[-1]['church'])}, catalog {mb(sizes[-1]['catalog'])}); "
                  f"{world.report()}", flush=True)
    week = DAYS // 2
    # Disk size moves by whole free pages (a VACUUM truncates a table's empty tail, the next
    # snapshot extends it again): the growth is that of the high-water mark, week on week.
    growth = (max(d["total"] for d in sizes[week + 1:]) -
              max(d["total"] for d in sizes[1:week + 1])) / (DAYS - week)
    per_day = lambda key: (sizes[DAYS][key] - sizes[week][key]) / (DAYS - week)  # noqa: E731
    changed = sum(DAILY.values()) * per_record
    by_days = max(per_day("by_days"), 0.0)
    print(f"soak: second week: the database grew {growth / 1024:,.0f} kB a day; bound "
          f"{(changed + by_days) / 1024:,.0f} kB: {changed / 1024:,.0f} kB of changed records "
          f"({sum(DAILY.values())} records x {per_record / 1024:.1f} kB) and "
          f"{by_days / 1024:,.0f} kB of what is kept 30 days (run records, row-check results, "
          f"deliveries)", flush=True)
    return {
        "soak.db_growth_per_day": {"value": round(growth), "bound": round(changed + by_days),
                                   "target": GROWTH_TARGET, "unit": "B"},
        "soak.last_day_run_seconds": {"value": round(seconds[-1], 1),
                                      "bound": round(seconds[0], 1),
                                      "target": RUN_TIME_TARGET, "unit": "s"},
    }


class World:
    """The simulator's PCO (changed through its admin API, as staff would in PCO's UI),
    the church database (changed as the church's own application would) and the sync's
    runs, in simulated time."""

    def __init__(self, sim_url: str, conn: psycopg.Connection):
        self.sim_url, self.conn = sim_url, conn
        self.http = requests.Session()
        self.client = PcoClient(sim_url, church.APP_ID, church.SECRET, backoff_base=0.01)
        self.totals: dict[str, int] = {}

    # ---- time ----------------------------------------------------------------------------
    def now(self) -> datetime:
        return self._clock(0)

    def move_to(self, at: datetime) -> None:
        self._clock((at - self.now()).total_seconds())

    def _clock(self, seconds: float) -> datetime:
        resp = self.http.post(f"{self.sim_url}/__admin/clock",
                              json={"advance_seconds": seconds}, timeout=30)
        resp.raise_for_status()
        return datetime.fromisoformat(resp.json()["now"].replace("Z", "+00:00"))

    # ---- runs ----------------------------------------------------------------------------
    def first_sync(self) -> datetime:
        """Day 0: the first run reads everything whole. Returns the first day's midnight."""
        start = (self.now() + timedelta(days=1)).replace(hour=0, minute=0, second=0)
        self.move_to(start)
        self.sync("soak-first", start - timedelta(minutes=15), start, full_refresh=True)
        return start

    def day(self, day: int, midnight: datetime) -> float:
        """One simulated day of runs; the seconds they took."""
        rng = random.Random(f"{church.SEED}-{day}")
        todo = {kind: spread(n) for kind, n in DAILY.items()}
        spent = 0.0
        for hour in range(RUNS_PER_DAY):
            start = midnight + timedelta(hours=hour)
            end = start + timedelta(hours=1)
            self.move_to(start + timedelta(minutes=20))
            delivered = self.change({k: v.get(hour, 0) for k, v in todo.items()}, rng)
            self.move_to(end + timedelta(minutes=1))  # a scheduled run starts after its window
            began = time.perf_counter()
            if delivered:
                self.drain(f"soak-webhooks-{day}-{hour}")
            self.sync(f"scheduled__{end.isoformat()}", start, end)
            spent += time.perf_counter() - began
        return spent

    def sync(self, run_id: str, start: datetime, end: datetime, *,
             full_refresh: bool = False) -> dict:
        """One sync DAG run's tasks, in the DAG's order."""
        conn = self.conn
        pco_db.apply_migrations(conn)
        extracted, checked, merged, pushed = {}, {}, {}, {}
        for name in resources.RESOURCES:
            read = extracts.plan(conn, name, start, end, full_refresh=full_refresh,
                                 manual=False, until=end)
            extracted[name] = None if read is None else extracts.extract_resource(
                self.client, conn, name, run_id, read)
        for name, res in resources.RESOURCES.items():
            checked[name] = validate_resource(conn, name, run_id)
            gate(conn, run_id, res.streams, full_refresh=full_refresh)
        for name in resources.RESOURCES:
            merged[name] = merge(conn, name, run_id)
        for name in PUSHES:
            pushed[name] = pushes.run(conn, self.client, name, run_id)
        cleaned = clean(conn, run_id, Retention(keep_runs=KEEP_RUNS))
        not_read = {r: "not due this run" for r, got in extracted.items() if got is None}
        counts = summary.summarize(checked, merged, pushed, not_read, cleaned)
        self._add(counts)
        return counts

    def drain(self, run_id: str) -> None:
        """The webhooks DAG's run: the inbox drained, each batch fetched, checked, merged."""
        drained = process.drain(self.conn, self.client, run_id, list(resources.RESOURCES))
        self.totals["webhook deliveries"] = (self.totals.get("webhook deliveries", 0)
                                             + drained.deliveries)

    def _add(self, counts: dict) -> None:
        for row in ("people", "families", "groups"):
            for key in ("created", "updated"):
                name = f"{row} {key}"
                self.totals[name] = self.totals.get(name, 0) + counts.get(row, {}).get(key, 0)
        pushed = counts.get("push people", {})
        self.totals["people pushed"] = (self.totals.get("people pushed", 0)
                                        + pushed.get("created", 0) + pushed.get("updated", 0))

    def report(self) -> str:
        """What the runs did so far (cumulative), then reset."""
        text = ", ".join(f"{k} {v}" for k, v in self.totals.items() if v)
        self.totals = {}
        return text or "nothing merged"

    # ---- a day's changes -----------------------------------------------------------------
    def change(self, n: dict[str, int], rng: random.Random) -> int:
        """This hour's changes; returns how many webhook deliveries were stored."""
        linked = self.people(sum(n.values()), rng)
        take = lambda k: [linked.pop() for _ in range(min(n[k], len(linked)))]  # noqa: E731
        deliveries = []
        for i, pco_id in enumerate(take("pco_edits")):
            field = rng.choice(("first_name", "email", "phone"))
            self.edit_in_pco(pco_id, field, rng)
            if i % DELIVERED_EVERY == 0:
                deliveries.append(pco_id)
        for _ in range(n["pco_new"]):
            self.admin("POST", "records/people", {
                "first_name": rng.choice(FIRST), "last_name": rng.choice(LAST),
                "status": "active", "child": False})
        for pco_id in take("pco_inactivated"):
            self.admin("POST", f"people/{pco_id}/inactivate")
        groups = self.pco_groups()
        for pco_id in take("group_joins"):
            if groups:  # already a member: PCO says so (400), and nothing changes
                self.admin("POST", f"groups/{rng.choice(groups)}/members",
                           {"person_id": pco_id}, refused_ok=True)
        for _ in range(n["group_leaves"]):
            member = self.member(rng)
            if member:
                self.admin("DELETE", f"groups/{member[0]}/members/{member[1]}")
        local = take("local_edits")
        if local:
            self.conn.execute("UPDATE church.people SET last_name = last_name || '-' "
                              "WHERE pco_id = ANY(%s)", (local,))
        for _ in range(n["local_new"]):
            pid = self.conn.execute(
                "INSERT INTO church.people (first_name, last_name, status) VALUES "
                "(%s, %s, 'active') RETURNING id",
                (rng.choice(FIRST), rng.choice(LAST))).fetchone()[0]
            self.conn.execute("INSERT INTO church.emails (person_id, address, location, "
                              "is_primary) VALUES (%s, %s, 'Home', true)",
                              (pid, f"local{pid}@soak.example.org"))
        self.conn.commit()
        if deliveries:
            stored, _ = inbox.store(self.conn, [delivery(p) for p in deliveries])
            self.conn.commit()
            return stored
        return 0

    def edit_in_pco(self, pco_id: str, field: str, rng: random.Random) -> None:
        if field == "first_name":
            self.admin("PATCH", f"records/people/{pco_id}", {"first_name": rng.choice(FIRST)})
            return
        table = "emails" if field == "email" else "phone_numbers"
        owned = [r for r in self.contacts(table, pco_id)]
        if not owned:
            self.admin("PATCH", f"records/people/{pco_id}", {"last_name": rng.choice(LAST)})
            return
        value = (f"{rng.choice(FIRST).lower()}{rng.randrange(10**6)}@soak.example.org"
                 if table == "emails" else f"614555{rng.randrange(10**4):04d}")
        self.admin("PATCH", f"records/{table}/{owned[0]}",
                   {"address" if table == "emails" else "number": value})

    def people(self, n: int, rng: random.Random) -> list[str]:
        """n linked, active people (PCO ids) drawn at random."""
        ids = [r for (r,) in self.conn.execute(
            "SELECT pco_id FROM church.people WHERE pco_id IS NOT NULL AND status = 'active' "
            "ORDER BY pco_id")]
        self.conn.commit()
        return rng.sample(ids, min(n, len(ids)))

    def contacts(self, table: str, pco_id: str) -> list[str]:
        kind = "emails" if table == "emails" else "phone_numbers"
        rows = self.conn.execute(
            f"SELECT c.pco_id FROM church.{kind} c JOIN church.people p ON p.id = c.person_id "
            "WHERE p.pco_id = %s AND c.pco_id IS NOT NULL ORDER BY c.pco_id",
            (pco_id,)).fetchall()
        self.conn.commit()
        return [r for (r,) in rows]

    def pco_groups(self) -> list[str]:
        rows = self.conn.execute("SELECT pco_id FROM church.groups WHERE pco_type = 'Group' "
                                 "AND archived_at IS NULL ORDER BY pco_id").fetchall()
        self.conn.commit()
        return [r for (r,) in rows]

    def member(self, rng: random.Random) -> tuple[str, str] | None:
        rows = self.conn.execute(
            "SELECT g.pco_id, p.pco_id FROM church.group_memberships m "
            "JOIN church.groups g ON g.id = m.group_id JOIN church.people p ON p.id = "
            "m.person_id WHERE m.ended_at IS NULL AND g.pco_type = 'Group' AND p.pco_id IS "
            "NOT NULL ORDER BY 1, 2").fetchall()
        self.conn.commit()
        return tuple(rng.choice(rows)) if rows else None

    def admin(self, method: str, path: str, body: dict | None = None, *,
              refused_ok: bool = False) -> dict:
        resp = self.http.request(method, f"{self.sim_url}/__admin/{path}", json=body,
                                 timeout=30)
        if refused_ok and resp.status_code == 400:
            return {}
        resp.raise_for_status()
        return resp.json()

    def count(self, query: str) -> int:
        value = self.conn.execute(query).fetchone()[0]
        self.conn.commit()
        return value


def delivery(pco_id: str) -> inbox.Delivery:
    """A person.updated delivery for `pco_id`, as inbox.parse makes one of PCO's body."""
    token = f"soak-{pco_id}-{time.monotonic_ns()}"
    record = {"type": "Person", "id": pco_id, "attributes": {"first_name": None}}
    return inbox.Delivery(token, "people.v2.events.person.updated", 1, token, None, "Person",
                          pco_id, {"data": record, "included": [], "meta": {}})


def spread(n: int) -> dict[int, int]:
    """n changes over the daytime hours, evenly ({hour: how many}): every day's runs and
    webhook batches fall alike, so the kept runs span the same hours at each day's end."""
    out: dict[int, int] = {}
    for i in range(n):
        hour = DAYTIME[i * len(DAYTIME) // n]
        out[hour] = out.get(hour, 0) + 1
    return out


def database() -> str:
    """A fresh migrated database of the soak's own."""
    import os

    os.environ.setdefault("PCO_SYNC_BENCH_DB", DB_NAME)
    saved = os.environ["PCO_SYNC_BENCH_DB"]
    os.environ["PCO_SYNC_BENCH_DB"] = DB_NAME
    try:
        return church.database(fresh=True)
    finally:
        os.environ["PCO_SYNC_BENCH_DB"] = saved


def size(db_url: str) -> dict[str, int]:
    with psycopg.connect(db_url, autocommit=True) as c:
        by_days = c.execute(
            "SELECT coalesce(sum(pg_total_relation_size(to_regclass(t))), 0) "
            "FROM unnest(%s::text[]) AS t", (list(KEPT_BY_DAYS),)).fetchone()[0]
        total, staging, own, catalog = c.execute(
            "SELECT pg_database_size(current_database()), "
            "coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))) "
            "FILTER (WHERE schemaname = 'pco_staging'), 0), "
            "coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))) "
            "FILTER (WHERE schemaname IN ('church', 'sync')), 0), "
            "coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))) "
            "FILTER (WHERE schemaname = 'pg_catalog'), 0) FROM pg_tables").fetchone()
    return {"total": int(total), "staging": int(staging), "church": int(own),
            "catalog": int(catalog), "by_days": int(by_days)}


def vacuum(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute("VACUUM (ANALYZE)")


def mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


FIRST = ("Ann", "Ben", "Cara", "Dan", "Eve", "Finn", "Gail", "Hugo", "Ivy", "Joel", "Kate",
         "Liam", "Mia", "Noah", "Olive", "Paul", "Quinn", "Rosa", "Sam", "Tess")
LAST = ("Adams", "Brown", "Clark", "Diaz", "Evans", "Ford", "Gray", "Hill", "Irwin", "Jones",
        "King", "Lopez", "Moore", "Nash", "Owens", "Price")
