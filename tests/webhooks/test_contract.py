"""The issue's contract on a running Airflow prepared as `make airflow` prepares it
(`bin/airflow standalone`: API server, scheduler, DAG processor; the simulator in a process
of its own, subscribed to the receiver; pco_sync paused after a first full sync, so no
scheduled run reads anything in between):

- `python -m pco_simulator admin --url <sim> edit people <id> first_name=<name>` makes that
  name appear in church.people within 60 seconds;
- a POST to /pco-sync/webhooks/default not signed with the subscription's secret is 401 and
  stores nothing.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import requests

from bench import webhooks as setup
from webhook_helpers import PERSON_UPDATED, body, person_record

ROOT = Path(__file__).resolve().parents[2]
BASE_HOME = Path(os.environ.get("PCO_SYNC_TEST_AIRFLOW_HOME", ROOT / ".local" / "airflow-test"))
HOME = BASE_HOME.parent / (BASE_HOME.name + "-webhooks-contract")

pytestmark = pytest.mark.airflow


@pytest.mark.timeout(1200)
def test_an_edit_in_pco_is_here_within_a_minute_and_unsigned_posts_are_refused():
    with setup.church_database(f"pco_sync_contract_{os.getpid()}") as (db_url, name), \
            setup.simulator(setup._port(), people=60) as sim_url, \
            setup.running_airflow(name, sim_url, HOME) as (env, base):
        with psycopg.connect(db_url, autocommit=True) as conn:
            pco_id = conn.execute("SELECT pco_id FROM church.people WHERE pco_id IS NOT NULL "
                                  "ORDER BY id LIMIT 1").fetchone()[0]
            raw = body(PERSON_UPDATED, person_record(pco_id, "Forged"))
            answer = requests.post(f"{base}/pco-sync/webhooks/default", data=raw, timeout=30,
                                   headers={"Content-Type": "application/json"})
            assert answer.status_code == 401
            assert conn.execute("SELECT count(*) FROM sync.webhook_deliveries").fetchone()[0] == 0

            started = time.monotonic()
            subprocess.run([sys.executable, "-m", "pco_simulator", "admin", "--url", sim_url,
                            "edit", "people", pco_id, "first_name=Contracted"], cwd=ROOT,
                           check=True, capture_output=True)
            while conn.execute("SELECT first_name FROM church.people WHERE pco_id = %s",
                               (pco_id,)).fetchone()[0] != "Contracted":
                assert time.monotonic() - started < 60, "the edit was not here within 60 s"
                time.sleep(0.25)
        meta = sqlite3.connect(HOME / "airflow.db")
        try:
            runs = meta.execute("SELECT dag_id, run_type FROM dag_run").fetchall()
        finally:
            meta.close()
        assert ("pco_sync", "scheduled") not in runs  # no scheduled sync run in between
        # the webhooks DAG did it: woken by the asset event, or its catch-up run at start
        assert {t for d, t in runs if d == "pco_sync_webhooks"} & {"asset_triggered", "scheduled"}
