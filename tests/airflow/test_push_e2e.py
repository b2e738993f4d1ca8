"""The push's Contract end to end through Airflow (`bin/airflow dags test pco_sync`): a row
any client inserts into church.people with an email, then a pco_sync run, ends with exactly
one PCO person whose remote_id is that row's id, and its PCO id in church.people.pco_id.
The next pull finds it unchanged (no echo) and the next push sends nothing."""
from __future__ import annotations

import json
import re
import sqlite3

import pytest

from pco_simulator import SimConfig, Simulator
from pco_sync.push.settings import PushSettings
from push_helpers import client_for, pull, push_people
from test_dag_e2e import AIRFLOW_HOME, _decode, check, dags_test, empty_db  # noqa: F401

pytestmark = pytest.mark.airflow


def xcom(proc, task_id: str) -> dict:
    """The return value task_id pushed in the run `proc` made."""
    m = re.search(r"DagRun Finished: dag_id=pco_sync, .*?run_id=(\S+?),", proc.stdout + proc.stderr)
    assert m, "no 'DagRun Finished' line in the dags test output"
    meta = sqlite3.connect(AIRFLOW_HOME / "airflow.db")
    try:
        row = meta.execute("SELECT value FROM xcom WHERE dag_id = 'pco_sync' AND run_id = ? "
                           "AND task_id = ? AND key = 'return_value'",
                           (m.group(1), task_id)).fetchone()
    finally:
        meta.close()
    assert row, f"{task_id} pushed no XCom in {m.group(1)}"
    return _decode(row[0])


def test_contract_a_local_row_becomes_exactly_one_pco_person(empty_db):
    import psycopg

    from pco_sync import church_db

    with psycopg.connect(empty_db, autocommit=True) as db, \
            Simulator(SimConfig(rate_limit=100_000), people=40, seed=3) as sim:
        church_db.apply_migrations(db)  # the church's app has its tables before any run
        pid = db.execute("INSERT INTO church.people (first_name, last_name, pco_id) "
                         "VALUES ('Contract', 'Check', NULL) RETURNING id").fetchone()[0]
        db.execute("INSERT INTO church.emails (person_id, address) VALUES (%s, %s)",
                   (pid, "contract.check@example.org"))

        first = check(dags_test(sim, empty_db, {"full_refresh": True}))
        matches = [p for p in sim.store.tables["people"].values()
                   if str(p.get("remote_id")) == str(pid)]
        assert len(matches) == 1
        assert db.execute("SELECT pco_id FROM church.people WHERE id = %s",
                          (pid,)).fetchone()[0] == matches[0]["id"]
        pushed = xcom(first, "push.people")
        assert pushed["created"] == 1 and pushed["failed"] == 0
        assert xcom(first, "summarize")["push people"]["created"] == 1

        # The next pull and push (as functions: one DAG run keeps this test short) find
        # nothing to do: the push's write is not read back as a PCO edit.
        client = client_for(sim)
        with psycopg.connect(empty_db) as conn:
            assert pull(client, conn, empty_db, "pull-after")["people"]["updated"] == 0
            assert push_people(conn, client, "push-after", PushSettings())["requests"] == 0
        assert sum(1 for p in sim.store.tables["people"].values()
                   if str(p.get("remote_id")) == str(pid)) == 1


def killed_dags_test(sim, db_url: str, conf: dict, after_creates: int) -> None:
    """`bin/airflow dags test pco_sync` SIGKILLed (its whole process group) once PCO holds
    `after_creates` people whose remote_id is set: a worker dying in the middle of a push."""
    import os
    import signal
    import subprocess
    import time

    from test_dag_e2e import ROOT, dags_env

    proc = subprocess.Popen([str(ROOT / "bin" / "airflow"), "dags", "test", "pco_sync", "-c",
                             json.dumps(conf)], cwd=ROOT, env=dags_env(sim, db_url),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            created = sum(1 for p in list(sim.store.tables["people"].values())
                          if p.get("remote_id") is not None)
            if created >= after_creates:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before the push got that far"
        assert created >= after_creates, "the push did not get that far in time"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


@pytest.mark.timeout(1200)
def test_contract_sigkilled_runs_mid_push_leave_one_pco_person_per_local_person(empty_db):
    """Issue 22's contract: SIGKILLs of `bin/airflow dags test pco_sync` in the middle of a
    push of 300 new local people (after about 60 and 180 creates), then two runs: exactly
    one PCO person per local person, its remote_id the local id, each local pco_id set, and
    no local person created from a PCO person whose remote_id names another."""
    import psycopg

    from pco_sync import church_db

    conf = {"full_refresh": True, "accept_mass_push": True}
    with psycopg.connect(empty_db, autocommit=True) as db, \
            Simulator(SimConfig(rate_limit=100_000), people=40, seed=3) as sim:
        church_db.apply_migrations(db)
        db.execute("WITH new AS (INSERT INTO church.people (first_name, last_name) "
                   "SELECT 'Crashy', 'Person' || i FROM generate_series(1, 300) AS i "
                   "RETURNING id) "
                   "INSERT INTO church.emails (person_id, address, is_primary) "
                   "SELECT id, 'crashy' || id || '@example.org', true FROM new")
        local = {pid for (pid,) in db.execute("SELECT id FROM church.people")}
        killed_dags_test(sim, empty_db, conf, 60)
        killed_dags_test(sim, empty_db, conf, 180)
        check(dags_test(sim, empty_db, conf))
        check(dags_test(sim, empty_db, conf))

        by_remote_id: dict[str, list[str]] = {}
        for p in sim.store.tables["people"].values():
            if p.get("remote_id") is not None:
                by_remote_id.setdefault(str(p["remote_id"]), []).append(p["id"])
        assert set(by_remote_id) == {str(pid) for pid in local}
        assert [k for k, ids in by_remote_id.items() if len(ids) > 1] == []
        linked = dict(db.execute("SELECT id::text, pco_id FROM church.people "
                                 "WHERE id = ANY (%s)", (list(local),)).fetchall())
        assert linked == {k: ids[0] for k, ids in by_remote_id.items()}
        # nobody created here from a PCO person of ours: 300 + the 40 PCO had before
        assert db.execute("SELECT count(*) FROM church.people").fetchone()[0] == 340
        assert db.execute("SELECT count(*) FROM sync.push_failures "
                          "WHERE resolved_at IS NULL").fetchone()[0] == 0
