"""End to end: `bin/airflow dags test pco_sync` against the simulator and the test database,
twice. The second run must find everything unchanged (idempotency through Airflow)."""
from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from pco_simulator import SimConfig, Simulator
from databases import scratch_database
from devkit import devdb

ROOT = Path(__file__).resolve().parents[2]
# A dedicated Airflow home (SQLite metadata), migrated once and reused by later sessions.
AIRFLOW_HOME = Path(os.environ.get("PCO_SYNC_TEST_AIRFLOW_HOME", ROOT / ".local" / "airflow-test"))

pytestmark = pytest.mark.airflow


@pytest.fixture
def empty_db():
    """A fresh, empty database of its own (not the shared pco_sync_test, which other test
    sessions drop and re-create): the DAG's ensure_schema must migrate it itself."""
    with scratch_database("pco_sync_e2e") as url:
        yield url


def dags_env(sim: Simulator, db_url: str, **variables: str) -> dict:
    """The environment `bin/airflow dags test` runs in: this suite's Airflow home, the
    connections to `sim` and the church database, and `variables` as Airflow Variables."""
    return {**os.environ, **{f"AIRFLOW_VAR_{k.upper()}": v for k, v in variables.items()},
            "PCO_SYNC_AIRFLOW_HOME": str(AIRFLOW_HOME),
            "AIRFLOW_CONN_PCO_DEFAULT": json.dumps({"conn_type": "pco", "host": sim.url,
                                                    "login": sim.auth[0], "password": sim.auth[1]}),
            "AIRFLOW_CONN_CHURCH_DB": devdb.airflow_conn_uri(db_url)}


def dags_test(sim: Simulator, db_url: str, conf: dict, **variables: str
              ) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "bin" / "airflow"), "dags", "test", "pco_sync", "-c", json.dumps(conf)],
                          cwd=ROOT, env=dags_env(sim, db_url, **variables), capture_output=True,
                          text=True, timeout=280)


def summary_of(proc: subprocess.CompletedProcess) -> dict:
    """The summary XCom (what the UI shows) of the run `proc` made, from the metadata DB."""
    m = re.search(r"DagRun Finished: dag_id=pco_sync, .*?run_id=(\S+?),", proc.stdout + proc.stderr)
    assert m, "no 'DagRun Finished' line in the dags test output"
    meta = sqlite3.connect(AIRFLOW_HOME / "airflow.db")
    try:
        row = meta.execute(
            "SELECT x.value FROM xcom x WHERE x.dag_id = 'pco_sync' AND x.run_id = ? "
            "AND x.task_id = 'summarize' AND x.key = 'pco_sync_summary'", (m.group(1),)).fetchone()
    finally:
        meta.close()
    assert row, f"summarize pushed no XCom in {m.group(1)}"
    return _decode(row[0])


def run_tab(proc: subprocess.CompletedProcess) -> str:
    """The "Sync summary" tab's page for the run `proc` made, read from the metadata DB the
    way the API server's plugin reads it."""
    run_id = re.search(r"DagRun Finished: dag_id=pco_sync, .*?run_id=(\S+?),", proc.stdout + proc.stderr)[1]
    code = ("import sys; from pco_sync.airflow import summary_page as r; "
            "print(r.render('pco_sync', sys.argv[1], r.load('pco_sync', sys.argv[1])))")
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", code, run_id], cwd=ROOT,
                         env={**os.environ, "AIRFLOW_HOME": str(AIRFLOW_HOME),
                              "PYTHONPATH": f"{ROOT}:{ROOT / 'plugins'}"},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def _decode(raw: str) -> dict:
    value = json.loads(raw)
    return json.loads(value) if isinstance(value, str) else value


def check(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"dags test failed ({proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}"
    return proc


def test_full_refresh_twice_through_airflow(empty_db):
    import psycopg

    db_url = empty_db
    with psycopg.connect(db_url, autocommit=True) as db, \
             Simulator(SimConfig(rate_limit=100_000), people=300, seed=5) as sim:
        assert db.execute("SELECT to_regclass('church.people')").fetchone()[0] is None
        first_proc = check(dags_test(sim, db_url, {"full_refresh": True}))
        first = summary_of(first_proc)
        quarantined = db.execute(
            "SELECT count(DISTINCT pco_id) FROM sync.quarantine WHERE stream = 'people'").fetchone()[0]
        whole = db.execute(  # a person with one bad phone is merged; the phone is quarantined
            "SELECT count(DISTINCT pco_id) FROM sync.quarantine WHERE stream = 'people' "
            "AND contact_kind IS NULL").fetchone()[0]
        people = db.execute("SELECT count(*) FROM church.people WHERE pco_id IS NOT NULL").fetchone()[0]
        assert people == 300 - whole
        assert first["people"]["created"] == people
        assert first["people"]["quarantined"] == quarantined
        assert first["families"]["created"] > 0
        for row in ("groups", "group_memberships", "teams", "team_memberships", "events",
                    "event_occurrences"):
            assert first[row]["created"] > 0, row
        assert first["group_memberships"]["created"] == db.execute(
            "SELECT count(*) FROM church.group_memberships m JOIN church.groups g "
            "ON g.id = m.group_id WHERE g.pco_type = 'Group'").fetchone()[0]
        page = run_tab(first_proc)
        assert "State <b>success</b>" in page
        assert f"<tr><th>people</th><td>{people}</td>" in page
        assert "<li>people: whole</li>" in page  # what the run read, not Airflow's interval

        # The second run cleans up as a church keeping one run's copies would: each PCO
        # person's latest staged copy stays, the first run's copies go.
        second = summary_of(check(dags_test(sim, db_url, {"full_refresh": True},
                                            pco_sync_staging_keep_runs="1")))
        assert db.execute("SELECT count(*) - count(DISTINCT pco_id) FROM pco_staging.people"
                          ).fetchone()[0] == 0
        assert second["clean-up"]["staged"] > 300
        assert second["people"]["created"] == 0 and second["families"]["created"] == 0
        assert second["people"]["updated"] == 0
        assert second["people"]["unchanged"] == people
        for row in ("groups", "group_memberships", "teams", "team_memberships", "events",
                    "event_occurrences"):
            assert (second[row]["created"], second[row]["updated"]) == (0, 0), row
            assert second[row]["unchanged"] == first[row]["created"], row
        assert db.execute("SELECT count(*) FROM church.people").fetchone()[0] == people
