"""The receiver in a real `airflow api-server` (the pco_sync plugin loaded as Airflow loads
it), the test database as church_db, a simulator subscribed to it the way `make airflow`
subscribes its own (devkit.local_airflow.subscribe_simulator):

- the contract: an unsigned POST is 401 and stores nothing, without any Airflow login;
- an edit in the simulator is delivered, verified with the secret kept in the Variable,
  stored, and an asset event of the webhooks DAG's asset is recorded in Airflow;
- `airflow dags test pco_sync_webhooks` drains it into church.people, with a summary;
- `airflow dags test pco_sync_webhook_subscriptions` twice creates nothing new, keeps the
  Variable, and prints no secret.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests

from devkit import devdb, local_airflow
from pco_simulator import SimConfig, Simulator
from pco_sync.webhooks import events
from push_helpers import value
from servers import airflow, free_port, start, stop, wait_until_up
from webhook_helpers import PERSON_UPDATED, body, person_record, wait_for_deliveries

ROOT = Path(__file__).resolve().parents[2]
BASE_HOME = Path(os.environ.get("PCO_SYNC_TEST_AIRFLOW_HOME", ROOT / ".local" / "airflow-test"))
AIRFLOW_HOME = BASE_HOME.parent / (BASE_HOME.name + "-webhooks")

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def airflow_env(db_url):
    """(env, base URL, simulator): an API server on a free port, church_db the test database,
    pco_default the simulator, which is subscribed to the server's receiver."""
    shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_"))}
    env.update({"PCO_SYNC_AIRFLOW_HOME": str(AIRFLOW_HOME), "AIRFLOW__API__PORT": str(port),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())})
    app_id, secret = local_airflow.simulator_credentials()
    with Simulator(SimConfig(rate_limit=100_000, app_id=app_id, secret=secret), people=20,
                   seed=5) as sim:
        airflow(env, "dags", "reserialize")  # the webhooks DAG's asset exists in Airflow
        env[devdb.ENV_AIRFLOW_CONN] = devdb.airflow_conn_uri(db_url)
        env = local_airflow.prepare(AIRFLOW_HOME, env=env, sim_port=int(sim.url.rsplit(":", 1)[1]))
        local_airflow.subscribe_simulator(env, sim.url)
        log = open(AIRFLOW_HOME / "webhooks-test.log", "w")
        proc = start(env, log, "api-server", "--port", str(port))
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/api/v2/monitor/health", proc, timeout=180)
            yield env, base, sim
        finally:
            stop([proc])
            log.close()


def variable(env, key):
    return json.loads(airflow(env, "variables", "get", key).stdout.strip().splitlines()[-1])


def asset_events() -> int:
    meta = sqlite3.connect(AIRFLOW_HOME / "airflow.db")
    try:
        return meta.execute("SELECT count(*) FROM asset_event e JOIN asset a ON a.id = e.asset_id "
                            "WHERE a.name = 'pco_sync_webhooks__default'").fetchone()[0]
    finally:
        meta.close()


def test_an_unsigned_post_is_401_without_any_login_and_stores_nothing(airflow_env, db):
    _, base, _ = airflow_env
    raw = body(PERSON_UPDATED, person_record("10000001"))
    for headers in ({}, {"X-PCO-Webhooks-Authenticity": "0" * 64}):
        answer = requests.post(f"{base}/pco-sync/webhooks/default", data=raw, timeout=30,
                               headers={"Content-Type": "application/json", **headers})
        assert answer.status_code == 401, answer.text
    assert requests.post(f"{base}/pco-sync/webhooks/nowhere", data=raw,
                         timeout=30).status_code == 404
    db.commit()
    assert value(db, "SELECT count(*) FROM sync.webhook_deliveries") == 0


def test_an_edit_is_delivered_stored_and_drained_through_airflow(airflow_env, db, db_url):
    env, base, sim = airflow_env
    secrets = variable(env, "pco_sync_webhook_secrets")
    assert set(secrets) == set(events.EVENTS)  # make airflow's church syncs everything
    airflow(env, "dags", "test", "pco_sync", "-c", json.dumps({"full_refresh": True}),
            timeout=300)
    events_before = asset_events()
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "pco_simulator", "admin",
                    "--url", sim.url, "edit", "people", "10000004", "first_name=Webhooked"],
                   cwd=ROOT, check=True, capture_output=True)
    wait_for_deliveries(db, 1, name=PERSON_UPDATED)
    deadline = time.monotonic() + 20
    while asset_events() == events_before:
        assert time.monotonic() < deadline, "no asset event was recorded"
        time.sleep(0.2)

    run = airflow(env, "dags", "test", "pco_sync_webhooks", timeout=300)
    db.commit()
    assert value(db, "SELECT first_name FROM church.people WHERE pco_id = '10000004'") == "Webhooked"
    assert value(db, "SELECT count(*) FROM sync.webhook_deliveries WHERE processed_at IS NULL") == 0
    assert not any(s in run.stdout + run.stderr for s in secrets.values())
    meta = sqlite3.connect(AIRFLOW_HOME / "airflow.db")
    try:
        summary = meta.execute("SELECT value FROM xcom WHERE dag_id = 'pco_sync_webhooks' AND "
                               "key = 'pco_sync_summary'").fetchall()
    finally:
        meta.close()
    assert summary, "the drain pushed no summary"


def test_the_subscriptions_dag_twice_creates_nothing_new(airflow_env):
    env, _, sim = airflow_env
    before = variable(env, "pco_sync_webhook_secrets")
    subs = len(sim.store.tables["webhook_subscriptions"])
    for _ in range(2):
        run = airflow(env, "dags", "test", "pco_sync_webhook_subscriptions", timeout=300)
        assert "0 created" in run.stdout + run.stderr
        assert not any(s in run.stdout + run.stderr for s in before.values())
    assert len(sim.store.tables["webhook_subscriptions"]) == subs
    assert variable(env, "pco_sync_webhook_secrets") == before
