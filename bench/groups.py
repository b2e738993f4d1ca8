"""Groups, calendar and Services teams (issue 4), against a simulator in its own process.

Figures:
- groups.snapshot_requests: the requests of a full groups + memberships snapshot of a
  10,000-person church (250 groups, one grown to 250 members so its list takes three pages)
  against the minimum: ceil(groups / 100) list requests plus, per group, one request per
  page of its memberships (at least one). Target <= 1.0: not one request more.
- teams.snapshot_requests: the requests of a full teams snapshot of the same church (the
  whole "teams" resource: Services folders, service types, teams with their positions and
  service types, each live team's assignments, and any other list the resource reads)
  against the minimum: ceil(n / 100) per list (at least one request, even for an empty
  list) plus, per live team, one request per page of its assignments (at least one).
  Target <= 1.0.
- groups.incremental_run_seconds: the wall time of a scheduled 15-minute run in which
  nothing changed in PCO, after a full sync of a 2,000-person church: every task body of
  the DAG up to the push (ensure_schema, the extracts due in that window, validate, the
  merges, summarize) in a fresh Python process, timed from its start, at PCO's real rate
  limit (100 requests per 20 s). The window, [10:15, 10:30) UTC, holds no snapshot
  boundary, so it reads people, person merges, events and event instances by window: four
  requests, no wait on the rate limit. Bound 10 s. Runs start every 15 minutes one at a
  time (max_active_runs=1), and the quiet run must leave the interval to the runs that do
  work (a 500-group snapshot needs ~100 s of rate-limited requests); a run with nothing to
  do should cost process start, four requests and a few empty set-based statements, about
  2 s here, so 10 s leaves room for a loaded machine and no more. Great Expectations, 10 to
  20 s to import on this machine, must not be loaded when nothing was staged.
  The push tasks are left out: they need Airflow Variables, and bench/push.py covers them.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone

from bench import church
from pco_sync import church_db as pco_db
from pco_sync import summary
from pco_sync.extract import run as extracts
from pco_sync.merge.run import merge
from pco_sync.pco.client import PcoClient
from pco_sync.pco.resources import RESOURCES as REGISTRY
from pco_sync.pco.resources import STREAMS
from pco_sync.quality.gates import gate
from pco_sync.quality.validate import validate_resource

SNAPSHOT_PEOPLE = 10_000
BIG_GROUP = 250
RUN_PEOPLE = 2_000
RESOURCES = list(REGISTRY)
RUN_BOUND = 10.0


def run() -> dict[str, dict]:
    return {**snapshot_requests(), **incremental_run()}


def database() -> str:
    """A fresh, migrated database of this benchmark's own."""
    return church.database(fresh=True, name=os.environ.get("PCO_SYNC_BENCH_GROUPS_DB",
                                                           "pco_sync_bench_groups"))


def client(sim_url: str) -> PcoClient:
    return PcoClient(sim_url, church.APP_ID, church.SECRET)


def snapshot_requests() -> dict[str, dict]:
    db_url = database()
    print(f"groups: simulator with {SNAPSHOT_PEOPLE:,} people ...", flush=True)
    with church.simulator(SNAPSHOT_PEOPLE, rate_limit=10_000_000) as sim:
        oracle = client(sim.url)
        groups = [r for r, _ in oracle.records("/groups/v2/groups", {
            "where[archive_status]": "include"})]
        big = groups[0]["id"]
        for n in range(BIG_GROUP):
            _admin(sim.url, f"/groups/{big}/members", {"person_id": str(10_000_001 + n)})
        counts = {r["id"]: r["attributes"]["memberships_count"] for r, _ in oracle.records(
            "/groups/v2/groups", {"where[archive_status]": "include"})}
        minimum = math.ceil(len(counts) / 100) + sum(max(1, math.ceil(n / 100))
                                                     for n in counts.values())
        measured = client(sim.url)
        with pco_db.connect(db_url) as conn:
            got = extracts.extract_resource(measured, conn, "groups", "bench-groups")
            conn.commit()
        teams = teams_snapshot_requests(sim.url, db_url)
    print(f"groups: {len(counts)} groups (the biggest {max(counts.values())} members), "
          f"{got['group_memberships']['records']:,} memberships in "
          f"{measured.stats.requests} requests; minimum {minimum}", flush=True)
    return {"groups.snapshot_requests": {
        "value": measured.stats.requests, "bound": minimum, "target": 1.0, "unit": "req"},
        **teams}


def teams_snapshot_requests(sim_url: str, db_url: str) -> dict[str, dict]:
    """The "teams" resource read whole, against its minimum: every list it reads at
    ceil(n / 100) requests (at least one), and per live team its assignments' pages."""
    oracle = client(sim_url)
    minimum, said = 0, []
    for name in REGISTRY["teams"].streams:
        spec = STREAMS[name]
        if spec.parent:  # per live team: its assignments' pages (at least one)
            live = [r["id"] for r, _ in oracle.records(STREAMS[spec.parent].path, {})
                    if not r["attributes"].get("deleted_at")]
            pages = sum(max(1, math.ceil(len(list(oracle.records(
                spec.path.format(parent=tid), {}))) / 100)) for tid in live)
            minimum += pages
            said.append(f"{name} {pages} (for {len(live)} teams)")
            continue
        n = sum(1 for _ in oracle.records(spec.path, dict(spec.filters)))
        minimum += max(1, math.ceil(n / 100))
        said.append(f"{name} {n:,}")
    measured = client(sim_url)
    with pco_db.connect(db_url) as conn:
        extracts.extract_resource(measured, conn, "teams", "bench-teams")
        conn.commit()
    print(f"teams: {', '.join(said)}: {measured.stats.requests} requests; minimum {minimum}",
          flush=True)
    return {"teams.snapshot_requests": {
        "value": measured.stats.requests, "bound": minimum, "target": 1.0, "unit": "req"}}


def _admin(base: str, path: str, body: dict) -> None:
    req = urllib.request.Request(base + "/__admin" + path, method="POST",
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=30).close()
    except urllib.error.HTTPError as exc:  # already a member: fine
        if exc.code != 400:
            raise


def sync_run(sim_url: str, db_url: str, run_id: str, start=None, end=None, *,
             full: bool) -> tuple:
    """The DAG's task bodies for one run, as the scheduler would call them; the summary and
    the client (its request count)."""
    pco = client(sim_url)
    with pco_db.connect(db_url) as conn:
        pco_db.apply_migrations(conn)
        checked = {}
        for resource in RESOURCES:
            read = extracts.plan(conn, resource, start, end, full_refresh=full)
            if read is not None:
                extracts.extract_resource(pco, conn, resource, run_id, read)
            checked[resource] = validate_resource(conn, resource, run_id)
        gate(conn, run_id, full_refresh=full)
        merged = {resource: merge(conn, resource, run_id) for resource in RESOURCES}
    counts = summary.summarize(checked, merged)
    return counts, pco


def incremental_run() -> dict[str, dict]:
    db_url = database()
    print(f"groups: simulator with {RUN_PEOPLE:,} people at PCO's rate limit ...", flush=True)
    with church.simulator(RUN_PEOPLE) as sim:
        sync_run(sim.url, db_url, "bench-full", full=True)
        began = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "bench.groups", "--quiet-run", sim.url,
                               db_url], cwd=church.ROOT, env=church.env(), capture_output=True,
                              text=True)
        took = time.perf_counter() - began
    if proc.returncode != 0:
        raise RuntimeError(f"the quiet run failed:\n{proc.stderr[-3000:]}")
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    if got["changed"]:
        raise RuntimeError(f"the quiet run changed something: {got['changed']}")
    print(f"groups: quiet 15-minute run in {took:.1f} s from process start ({got['seconds']:.1f}"
          f" s in the task bodies), {got['requests']} requests, nothing changed", flush=True)
    return {"groups.incremental_run_seconds": {
        "value": round(took, 2), "bound": RUN_BOUND, "target": 1.0, "unit": "s"}}


def quiet_run(sim_url: str, db_url: str) -> None:
    """The child: one scheduled run over [10:15, 10:30) UTC today; prints what it measured."""
    start = datetime.now(timezone.utc).replace(hour=10, minute=15, second=0, microsecond=0)
    began = time.perf_counter()
    counts, pco = sync_run(sim_url, db_url, "bench-quiet", start, start + timedelta(minutes=15),
                            full=False)
    changed = {row: c for row, c in counts.items()
               if c.get("created") or c.get("updated") or c.get("ended")}
    print(json.dumps({"seconds": time.perf_counter() - began, "requests": pco.stats.requests,
                      "changed": changed}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--quiet-run"]:
        quiet_run(*sys.argv[2:4])
    else:
        for name, fig in run().items():
            print(name, fig)
