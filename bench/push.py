"""Pushing new local people to PCO (issue 5): 1,000 people with two contacts each (an
email and a phone number), against a simulator process at PCO's default limit (100
requests per 20 s window), scaled in time so a window lasts about a second.

Figures:
- requests made against the minimum, one per person and one per contact record (3,000),
  target 1.0: a create is looked up in PCO only when the journal shows an earlier attempt
  that may have landed (or its own request got no clear answer), never on a first attempt;
- wall time against the rate-limit bound for the requests made (requests x period / limit):
  how well the push keeps the pipe full while saving outcomes in batches;
- failed requests (any answer but 2xx): none;
- a second push with nothing changed: zero requests.

The time scale is calibrated as in bench.extract: a window's requests must take at most
half of it, so the limit, not this machine's speed, is what the wall time measures.
"""
from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from bench import church
from pco_sync import church_db as pco_db

ROOT = Path(__file__).resolve().parents[1]
APP_ID, SECRET = "bench_app", "bench_secret"

PEOPLE, CALIBRATION = 1_000, 60
PERIOD, LIMIT = 20.0, 100
HEADROOM = 2.0
SEED_SQL = """
WITH people AS (
    INSERT INTO church.people (first_name, last_name, birthdate, gender)
    SELECT 'Bench' || n, 'Person', date '1960-01-01' + n, CASE mod(n, 2) WHEN 0 THEN 'F' ELSE 'M' END
      FROM generate_series(1, %(n)s) AS n
    RETURNING id
),
emails AS (
    INSERT INTO church.emails (person_id, address, location, is_primary)
    SELECT id, 'bench' || id || '@example.org', 'Home', true FROM people
)
INSERT INTO church.phone_numbers (person_id, number, location, is_primary)
SELECT id, '555-' || lpad(mod(id, 10000)::text, 4, '0'), 'Mobile', true FROM people
"""


def database() -> str:
    """A fresh, migrated database of this benchmark's own."""
    return church.database(fresh=True, name=os.environ.get("PCO_SYNC_BENCH_PUSH_DB",
                                                           "pco_sync_bench_push"))


def push(sim_url: str, db_url: str, people: int | None, run_id: str) -> tuple[dict, dict, float]:
    """Seed `people` new local people (None: none), push them; (counts, client stats, s)."""
    from pco_sync.pco.client import PcoClient
    from pco_sync.push.entities import push
    from pco_sync.push.settings import PushSettings

    client = PcoClient(sim_url, APP_ID, SECRET)
    with pco_db.connect(db_url) as conn:
        if people:
            conn.execute(SEED_SQL, {"n": people})
            conn.commit()
        started = time.perf_counter()
        # 1,000 new people at once: a bulk push the safety gate would stop, accepted here
        counts = push(conn, client, "people", run_id, PushSettings(), accept_mass_push=True)
        took = time.perf_counter() - started
    return counts, client.stats, took


@contextmanager
def simulator():
    """An empty simulator in a process of its own (PCO's work is not the push's)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}
    proc = subprocess.Popen([sys.executable, "-m", "pco_simulator", "serve", "--port", str(port),
                             "--app-id", APP_ID, "--secret", SECRET], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                admin(url, "GET", "health")
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def admin(url: str, method: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(f"{url}/__admin/{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def run() -> dict[str, dict]:
    with simulator() as sim_url:
        admin(sim_url, "PATCH", "config", {"rate_limit": 10_000_000})
        _, stats, took = push(sim_url, database(), CALIBRATION, "bench-calibrate")
        per_request = took / stats.requests
        scale = round(max(0.02, math.ceil(LIMIT * per_request * HEADROOM / PERIOD * 50) / 50), 2)
        period = PERIOD * scale
        admin(sim_url, "POST", "reset", {})
        admin(sim_url, "PATCH", "config", {"rate_limit": LIMIT, "rate_period": PERIOD,
                                           "time_scale": scale})
        print(f"push: {per_request * 1000:.1f} ms of work per request unthrottled, so time "
              f"scale {scale} (a {LIMIT}-request window lasts {period:.2f} s)", flush=True)
        db_url = database()
        counts, stats, took = push(sim_url, db_url, PEOPLE, "bench-push")
        _, again_stats, _ = push(sim_url, db_url, None, "bench-push-again")
    ok = sum(n for status, n in stats.by_status.items() if 200 <= int(status) < 300)
    print(f"push: {counts['created']:,} people created, {stats.requests:,} requests "
          f"({stats.throttled} answered 429, {stats.retries} retried) in {took:.1f} s, "
          f"{stats.paced_seconds:.1f} s waiting for windows; at PCO's real limit that is "
          f"{stats.requests * PERIOD / LIMIT / 60:.1f} min; no-change push: "
          f"{again_stats.requests} requests", flush=True)
    minimum = PEOPLE * 3
    return {
        "push.new_people_1000_requests": {
            "value": stats.requests, "bound": minimum, "target": 1.0, "unit": "req"},
        "push.new_people_1000_wall_seconds": {
            "value": round(took, 2), "bound": round(stats.requests * period / LIMIT, 2),
            "target": 1.15, "unit": "s"},
        "push.new_people_1000_failed_requests": {
            "value": stats.requests - ok, "bound": stats.requests, "target": 0, "unit": "req"},
        "push.no_change_requests": {
            "value": again_stats.requests,
            "bound": stats.requests, "target": 0, "unit": "req"},
    }
