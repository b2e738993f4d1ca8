"""The push's Contract end to end through Airflow (`bin/airflow dags test pco_sync`): a row
any client inserts into church.people with an email, then a pco_sync run, ends with exactly
one PCO person whose remote_id is that row's id, and its PCO id in church.people.pco_id.
The next pull finds it unchanged (no echo) and the next push sends nothing."""
from __future__ import annotations

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
