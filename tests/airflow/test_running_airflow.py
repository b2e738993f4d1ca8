"""pco_sync under a real, running Airflow, prepared as `make airflow` prepares it: a real
scheduler (LocalExecutor, SQLite metadata) and API server, the simulator over HTTP, the
church database in PostgreSQL.

- After the demo left the DAG paused, `make airflow`'s preparation unpauses it: it has a
  next run.
- `airflow dags trigger pco_sync` (no logical date, so no data interval), the REST API's
  trigger, and a trigger with conf `{"full_refresh": true}` (the way to a full sync while
  Airflow runs) each make a run that succeeds; a change made in PCO before a trigger is in
  the church database after it.
- The connections live in the metadata database, and the Test button's request (as the UI
  sends it: port 0, the masked secret) answers with the organisation's name, or says why.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import psycopg
import pytest

from databases import scratch_database
from devkit import local_airflow
from pco_simulator import SimConfig, Simulator
from servers import Api, airflow, free_port, stop, wait_until_up
from servers import start as servers_start
from test_dag_e2e import AIRFLOW_HOME as E2E_HOME

AIRFLOW_HOME = E2E_HOME.parent / (E2E_HOME.name + "-running")

pytestmark = pytest.mark.airflow


def printed_json(proc: subprocess.CompletedProcess):
    """What an `airflow ... -o json` command printed (after any log lines)."""
    return json.loads(proc.stdout[proc.stdout.index("[{"):])


def triggered_run_id(proc: subprocess.CompletedProcess) -> str:
    return printed_json(proc)[0]["dag_run_id"]


@pytest.mark.timeout(1200)
def test_triggers_settings_and_the_test_button_on_a_running_airflow():
    church = f"pco_sync_running_{os.getpid()}"  # the name scratch_database gives it
    port = free_port()
    with scratch_database("pco_sync_running") as church_url, \
            Simulator(SimConfig(rate_limit=100_000), people=30, seed=4) as sim:
        shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)
        base_env = {k: v for k, v in os.environ.items()
                    if not k.startswith("AIRFLOW_CONN_")}
        base_env.update({
            "PCO_SYNC_AIRFLOW_HOME": str(AIRFLOW_HOME),
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the runs this test makes
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__API__PORT": str(port),
            # Only the port: make airflow's preparation points the tasks' execution API at it.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())})
        # The demo's state: the DAG known to the metadata DB, and paused.
        airflow(base_env, "dags", "reserialize")
        airflow(base_env, "dags", "pause", "pco_sync")
        env = local_airflow.prepare(AIRFLOW_HOME, env=base_env, church_database=church,
                                    sim_port=int(sim.url.rsplit(":", 1)[1]))
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == \
            f"http://127.0.0.1:{port}/execution/"
        stored = printed_json(airflow(env, "connections", "get", "church_db", "-o", "json"))
        assert stored[0]["conn_type"] == "postgres"
        assert stored[0]["schema"] == church
        airflow(env, "connections", "add", "pco_wrong", "--conn-json", json.dumps({
            "conn_type": "pco", "host": sim.url, "login": sim.auth[0], "password": "wrong-9f3"}))

        log = open(AIRFLOW_HOME / "running-test.log", "w")

        def start(*cmd):
            return servers_start(env, log, *cmd)

        servers = [start("api-server", "--port", str(port))]
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/api/v2/monitor/health", servers[0])
            servers.append(start("scheduler"))
            api = Api(base, AIRFLOW_HOME)
            dag = api.get("/api/v2/dags/pco_sync")
            assert dag["is_paused"] is False and dag["next_dagrun_run_after"], dag

            # The Test button, as the UI sends it: port 0, the masked secret.
            def test(conn_id, host):
                answer = api.post("/api/v2/connections/test", {
                    "connection_id": conn_id, "conn_type": "pco", "host": host, "port": 0,
                    "login": sim.auth[0], "password": "***"})
                assert answer.status_code == 200, answer.text
                return answer.json()
            assert test("pco_default", sim.url) == {
                "status": True, "message": f"Connected to {sim.config.organization_name} at {sim.url}"}
            wrong = test("pco_wrong", sim.url)
            assert wrong["status"] is False and "HTTP 401" in wrong["message"]
            assert "wrong-9f3" not in wrong["message"]

            # 1. The standard trigger: no logical date, no data interval (the first sync).
            first = triggered_run_id(airflow(env, "dags", "trigger", "pco_sync", "-o", "json"))
            assert api.wait_for(first) == "success", api.failed(first)
            with psycopg.connect(church_url) as db:
                assert db.execute("SELECT count(*) FROM church.people").fetchone()[0] > 0

            # 2. An edit in PCO, then the REST API's trigger: the edit is in after it.
            person = next(iter(sim.store.tables["people"]))
            sim.store.update("people", person, {"first_name": "Triggered"})
            answer = api.post("/api/v2/dags/pco_sync/dagRuns", {"logical_date": None})
            assert answer.status_code == 200, answer.text
            second = answer.json()["dag_run_id"]
            assert api.wait_for(second) == "success", api.failed(second)
            with psycopg.connect(church_url) as db:
                assert db.execute("SELECT first_name FROM church.people WHERE pco_id = %s",
                                  (person,)).fetchone()[0] == "Triggered"
                mode = db.execute("SELECT mode FROM pco_staging.extracts WHERE run_id = %s "
                                  "AND stream = 'people'", (second,)).fetchone()[0]
                assert mode == "window"  # read from where the first run left off

            # 3. A full sync while Airflow runs: trigger with conf.
            full = triggered_run_id(airflow(env, "dags", "trigger", "pco_sync", "-c",
                                            json.dumps({"full_refresh": True}), "-o", "json"))
            assert api.wait_for(full) == "success", api.failed(full)
            with psycopg.connect(church_url) as db:
                assert db.execute("SELECT mode FROM pco_staging.extracts WHERE run_id = %s "
                                  "AND stream = 'people'", (full,)).fetchone()[0] == "snapshot"
        finally:
            stop(servers)
            log.close()
