"""`airflow backfill create` over a range runs one pco_sync run per 15-minute data interval,
and each pulls exactly the people updated in its window (plus the documented overlap).

Real parts throughout: the Airflow CLI creates the backfill, a real scheduler (LocalExecutor,
SQLite metadata) runs it, the extract reads the simulator over HTTP into PostgreSQL."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from pco_simulator import SimConfig, Simulator
from pco_simulator.schema import RESOURCES
from databases import scratch_database
from devkit import devdb
from pco_sync import church_db
from pco_sync.pco import resources, windows
from test_dag_e2e import AIRFLOW_HOME as E2E_HOME
from test_dag_e2e import ROOT
from servers import airflow, free_port, stop, wait_until_up
from servers import start as servers_start

# Its own Airflow home, new each time: a scheduler leaves runs and task state behind.
AIRFLOW_HOME = E2E_HOME.parent / (E2E_HOME.name + "-backfill")

pytestmark = pytest.mark.airflow

DAY = datetime(2026, 11, 20, tzinfo=timezone.utc)
# Minutes past 10:00 at which one person each was last updated.
UPDATED = [5, 12, 20, 28, 40, 50]
RANGE = ("2026-11-20T10:15:00+00:00", "2026-11-20T10:30:00+00:00")  # two runs: :15 and :30


@pytest.fixture
def synced_db():
    """A church database that had its first full sync (so runs read windows, not everything)."""
    with scratch_database("pco_sync_backfill") as url:
        with church_db.connect(url) as conn:
            church_db.apply_migrations(conn)
            # every resource was read whole once (a first sync reads them all, scheduled or not)
            conn.execute("INSERT INTO sync.full_syncs (stream, run_id) SELECT s, 'earlier' "
                         "FROM unnest(%s::text[]) AS s", (list(resources.STREAMS),))
            conn.commit()
        yield url


def backfill_runs(run_ids_before: set) -> dict[str, tuple[str, str, str]]:
    meta = sqlite3.connect(AIRFLOW_HOME / "airflow.db")
    try:
        rows = meta.execute("SELECT run_id, state, data_interval_start, data_interval_end FROM dag_run "
                            "WHERE dag_id = 'pco_sync' AND run_type = 'backfill'").fetchall()
    finally:
        meta.close()
    return {r: (s, a, b) for r, s, a, b in rows if r not in run_ids_before}


@pytest.mark.timeout(900)  # a scheduler and an API server start and run two whole DAG runs
def test_backfill_pulls_exactly_each_windows_people(synced_db):
    blank = {a: None for a in RESOURCES["people"].attributes}
    people = {str(50_000_001 + i): minute for i, minute in enumerate(UPDATED)}
    port = free_port()
    with Simulator(SimConfig(rate_limit=100_000)) as sim:
        sim.store.bulk_insert("people", [
            {**blank, "id": pid, "first_name": f"M{m}", "last_name": "Window", "status": "active",
             "child": False, "created_at": (DAY + timedelta(hours=10, minutes=m)).isoformat(),
             "updated_at": (DAY + timedelta(hours=10, minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ")}
            for pid, m in people.items()])
        env = {**os.environ, "PCO_SYNC_AIRFLOW_HOME": str(AIRFLOW_HOME),
               "AIRFLOW_CONN_PCO_DEFAULT": json.dumps({"conn_type": "pco", "host": sim.url,
                                                       "login": sim.auth[0], "password": sim.auth[1]}),
               "AIRFLOW_CONN_CHURCH_DB": devdb.airflow_conn_uri(synced_db),
               "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
               "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the backfill's runs
               # Task runners report to the API server's execution API: on a free port.
               "AIRFLOW__API__PORT": str(port),
               "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
               "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/"}
        shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)
        airflow(env, "dags", "reserialize")
        airflow(env, "dags", "unpause", "pco_sync")  # a paused DAG's backfill runs wait
        # the pco_api pool (extracts wait forever in a pool that does not exist)
        settings = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "devkit.airflow_settings",
                                   "apply"], cwd=ROOT, env={**env, "AIRFLOW_HOME": str(AIRFLOW_HOME)},
                                  capture_output=True, text=True, timeout=120)
        assert settings.returncode == 0, settings.stderr[-3000:]
        before: set = set()
        airflow(env, "backfill", "create", "--dag-id", "pco_sync", "--from-date", RANGE[0],
                "--to-date", RANGE[1], "--reprocess-behavior", "completed",
                "--dag-run-conf", json.dumps({"resources": ["people", "households"]}))
        log = open(AIRFLOW_HOME / "backfill-test.log", "w")
        def start(*cmd):
            return servers_start(env, log, *cmd)

        # The scheduler only after the API server answers: a task finishing before it is up
        # cannot report its result and is failed (and retried minutes later).
        servers = [start("api-server", "--port", str(port))]
        wait_until_up(f"http://127.0.0.1:{port}/api/v2/monitor/health", servers[0])
        servers.append(start("scheduler"))
        try:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                runs = backfill_runs(before)
                if len(runs) == 2 and all(s in ("success", "failed") for s, _, _ in runs.values()):
                    break
                time.sleep(2)
        finally:
            stop(servers)
            log.close()

    assert len(runs) == 2, f"backfill runs: {runs}"
    assert {s for s, _, _ in runs.values()} == {"success"}, runs
    with psycopg.connect(synced_db) as db:
        for run_id, (_, start, end) in runs.items():
            start, end = windows.as_utc(start), windows.as_utc(end)
            assert end - start == timedelta(minutes=15)
            mode, w_start, w_end = db.execute(
                "SELECT mode, window_start, window_end FROM pco_staging.extracts "
                "WHERE run_id = %s AND stream = 'people'", (run_id,)).fetchone()
            assert (mode, w_start, w_end) == ("window", start, end)
            staged = {p for (p,) in db.execute(
                "SELECT pco_id FROM pco_staging.people WHERE run_id = %s", (run_id,))}
            lo, hi = start - resources.OVERLAP, end
            expected = {pid for pid, m in people.items()
                        if lo <= DAY + timedelta(hours=10, minutes=m) < hi}
            assert staged == expected, (run_id, sorted(staged), sorted(expected))
            # households are a 6-hourly snapshot: not due in these windows
            assert db.execute("SELECT count(*) FROM pco_staging.extracts WHERE run_id = %s "
                              "AND stream = 'households'", (run_id,)).fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM church.people").fetchone()[0] == 4
