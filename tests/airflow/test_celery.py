"""pco_sync on the Celery deployment of `make celery` (devkit.celery), end to end: API
server, scheduler, DAG processor and two Celery workers as processes, on the machine's Redis
and PostgreSQL, the church database in PostgreSQL and the simulator over HTTP.

One triggered run (the first sync, about 20 tasks spread over both workers) carries the
fault, so the test stays within minutes on two cores:
- PCO is made slow, so `extract.people` is caught running; its worker is SIGKILLed with
  everything under it (its process group and its task processes, which Airflow starts in
  sessions of their own), as a machine's death would. The scheduler finds the task's
  heartbeat gone, the task is retried on the other worker, and the run succeeds.
- No duplicates: the church database holds each PCO person once (as many linked people as
  PCO has, no pco_id twice), and PCO gained exactly the one person created locally before
  the run, once (its remote_id once), though the killed try had staged people already.

It never meets a running `make celery`: a metadata database, a Redis database number and a
Celery queue of its own, and free ports. The scheduler is told to find a lost heartbeat in
seconds, not minutes, and a cluster policy in the test's Airflow home makes the DAG's
2-minute retry delay a few seconds (the retry itself is Airflow's, unchanged).

Needs Redis and PostgreSQL on the machine (or PCO_SYNC_CELERY_BROKER's server and
PCO_SYNC_CELERY_METADATA_DB's); without them it is skipped with what is missing, except
under CI, where that is a failure.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from databases import scratch_database
from devkit import celery, devdb
from pco_simulator import SimConfig, Simulator
from servers import Api, free_port
from test_dag_e2e import AIRFLOW_HOME as E2E_HOME

HOME = E2E_HOME.parent / (E2E_HOME.name + "-celery")
DAG = "pco_sync"
# Redis has 16 numbered databases; `make celery` uses 0. Another test session may share
# this one: its queue (named by process) keeps the two apart.
REDIS_DB = int(os.environ.get("PCO_SYNC_TEST_REDIS_DB", "13"))
HEARTBEAT_TIMEOUT = 20  # seconds without a heartbeat before the scheduler fails the try
QUICK = {
    "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the runs this test makes
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT),
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
    "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "2",
    "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
}
# Airflow's cluster policy, from $AIRFLOW_HOME/config: the same DAG, retried after seconds.
POLICY = '''"""Test only: the DAG's retry delay (2 minutes) shortened so a test sees the retry."""
from datetime import timedelta


def task_policy(task):
    task.retry_delay = timedelta(seconds=2)
'''

pytestmark = pytest.mark.airflow


def _replace_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def _two_free_ports() -> int:
    """A port p with p and p + 1 free (the workers' log servers)."""
    for _ in range(50):
        p = free_port()
        if p < 65535 and _free(p + 1):
            return p
    raise AssertionError("no two consecutive free ports")


def _free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@pytest.fixture
def settings():
    base = celery.Settings.from_env()
    broker = urlsplit(base.broker)
    settings = celery.Settings(
        home=HOME,
        broker=urlunsplit((broker.scheme, broker.netloc, f"/{REDIS_DB}", "", "")),
        metadata=_replace_db(base.metadata, f"pco_sync_test_celery_meta_{os.getpid()}"),
        api_port=free_port(), log_port=_two_free_ports(), workers=2, concurrency=4,
        queue=f"pco_sync_test_{os.getpid()}", extra_env=QUICK)
    missing = [m for m in (celery.check_broker(settings.broker),
                           celery.check_metadata(settings.metadata)) if m]
    if missing:
        if os.environ.get("CI"):
            pytest.fail("; ".join(missing))
        # A user's machine without Redis or PostgreSQL cannot host a Celery deployment at
        # all; the skip says what to install or set (CI fails instead).
        pytest.skip("the Celery deployment test needs a real broker and a PostgreSQL server: "
                    + "; ".join(missing))
    server = devdb.with_database(settings.metadata, "postgres")
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
        sql.Identifier(urlsplit(settings.metadata).path.lstrip("/")))
    with psycopg.connect(server, autocommit=True) as c:
        c.execute(drop)
    shutil.rmtree(HOME, ignore_errors=True)
    (HOME / "config").mkdir(parents=True)
    (HOME / "config" / "airflow_local_settings.py").write_text(POLICY)
    try:
        yield settings
    finally:
        with psycopg.connect(server, autocommit=True) as c:
            c.execute(drop)
        import redis

        broker = redis.Redis.from_url(settings.broker)
        # The queue and kombu's bindings of it; other sessions' keys in this database stay.
        for key in broker.scan_iter(f"*{settings.queue}*"):
            broker.delete(key)


def worker_of(deployment: celery.Deployment, pid: int) -> str:
    """The worker a task's process runs under."""
    name = deployment.owner(pid)
    assert name in deployment.worker_names(), f"pid {pid} runs under {name}, not a worker"
    return name


def wait_running(api: Api, run_id: str, task_id: str, try_number: int, timeout: float) -> dict:
    """The task instance once its try `try_number` runs (with its pid)."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = api.task(run_id, task_id)
        if seen["state"] == "running" and seen["try_number"] == try_number and seen["pid"]:
            return seen
        assert seen["state"] not in ("success", "failed"), seen
        time.sleep(0.5)
    raise AssertionError(f"{task_id} try {try_number} did not run in {timeout} s: {seen}")


def church_people(url: str) -> tuple[int, int]:
    """(people linked to PCO, pco_ids held more than once) in the church database."""
    with psycopg.connect(url) as db:
        linked = db.execute("SELECT count(*) FROM church.people WHERE pco_id IS NOT NULL"
                            ).fetchone()[0]
        twice = db.execute("SELECT count(*) FROM (SELECT pco_id FROM church.people WHERE "
                           "pco_id IS NOT NULL GROUP BY pco_id HAVING count(*) > 1) d"
                           ).fetchone()[0]
    return linked, twice


@pytest.mark.timeout(600)
def test_a_run_on_two_celery_workers_survives_a_worker_killed_mid_task(settings):
    with scratch_database("pco_sync_celery") as church_url, \
            Simulator(SimConfig(rate_limit=100_000), people=250, seed=5) as sim:
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_")}
        # The default church (DAG pco_sync), whatever churches.yaml the checkout holds.
        base_env["PCO_SYNC_CHURCHES_FILE"] = str(settings.home / "no-churches.yaml")
        base_env.update({
            "AIRFLOW_CONN_CHURCH_DB": devdb.airflow_conn_uri(church_url),
            "AIRFLOW_CONN_PCO_DEFAULT": json.dumps({
                "conn_type": "pco", "host": sim.url, "login": sim.auth[0],
                "password": sim.auth[1]})})
        prepared = celery.prepare(settings, base_env, start_simulators=False)
        assert prepared.simulators == []
        cfg = (settings.home / "airflow.cfg").read_text()
        assert "executor = CeleryExecutor" in cfg  # bin/airflow with this home reaches it
        deployment = celery.Deployment(settings, prepared.env)
        try:
            deployment.start()
            api = Api(settings.api_url, settings.home, DAG)
            assert api.wait_for_dag()["is_paused"] is False

            # A person created locally before the first sync: the run's push creates it in PCO.
            from pco_sync import church_db

            with church_db.connect(church_url) as db:
                church_db.apply_migrations(db)
                local_id = db.execute(
                    "INSERT INTO church.people (first_name, last_name) VALUES "
                    "('Celery', 'Survivor') RETURNING id").fetchone()[0]
                db.execute("INSERT INTO church.emails (person_id, address) VALUES (%s, %s)",
                           (local_id, "celery.survivor@example.org"))
                db.commit()
            pco_people = len(sim.store.tables["people"])

            # PCO slowed down, so the people extract is caught running; a triggered run.
            sim.sim.faults.set([{"kind": "slow", "path": "/people/v2/people*", "method": "GET",
                                 "delay": 3.0}])
            run = api.trigger()
            running = wait_running(api, run, "extract.people", 1, 180)
            victim = worker_of(deployment, running["pid"])
            killed = deployment.kill(victim)
            assert running["pid"] in killed
            deployment.procs[victim].wait(timeout=30)
            time.sleep(1)
            assert celery.alive(killed) == [], "the killed worker's processes still run"

            # The scheduler fails the try once its heartbeat is gone; the retry runs on the
            # other worker.
            retried = wait_running(api, run, "extract.people", 2, HEARTBEAT_TIMEOUT + 90)
            assert worker_of(deployment, retried["pid"]) != victim
            sim.sim.faults.clear()
            assert api.wait_for(run, 360) == "success", api.failed(run)
            tries = api.get(f"/api/v2/dags/{DAG}/dagRuns/{run}/taskInstances/"
                            "extract.people/tries")["task_instances"]
            states = {t["try_number"]: t["state"] for t in tries}
            assert states[2] == "success" and states[1] != "success", states
            assert deployment.exited() == {victim: -signal.SIGKILL}
            survivor = next(n for n in deployment.worker_names() if n != victim)
            log = deployment.log(survivor).read_text(errors="replace")
            assert "try_number=2" in log and "task_id='extract.people'" in log

            # No duplicates: in the church database, and in PCO.
            people = sim.store.tables["people"]
            assert len(people) == pco_people + 1  # the local person, once
            assert sum(str(p.get("remote_id")) == str(local_id) for p in people.values()) == 1
            assert church_people(church_url) == (len(people), 0)
        finally:
            everything = deployment.tree()
            deployment.stop()
        assert celery.alive(everything) == [], "processes left after stop"
