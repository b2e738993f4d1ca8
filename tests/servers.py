"""Running Airflow in a test: bin/airflow commands, its servers on free ports, waiting for the
API server, its REST API as an admin, and stopping a process group for good."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW = ROOT / "bin" / "airflow"


def airflow(env: dict, *args: str, check: bool = True,
            timeout: float = 240) -> subprocess.CompletedProcess:
    """`bin/airflow ARGS` with `env`, its output captured; it must succeed unless check=False."""
    proc = subprocess.run([str(AIRFLOW), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, \
            f"airflow {' '.join(args)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def start(env: dict, log, *args: str) -> subprocess.Popen:
    """`bin/airflow ARGS` (a server: api-server, scheduler, ...) in a session of its own (stop()
    ends its whole group), its output in the open file `log`."""
    return subprocess.Popen([str(AIRFLOW), *args], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the Airflow API server exited; see the test's log"
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise AssertionError(f"the Airflow API server did not answer {url} in {timeout} s")


def stop(servers: list[subprocess.Popen], timeout: float = 60) -> None:
    """SIGTERM each server's process group, then SIGKILL what is still there."""
    for proc in servers:
        os.killpg(proc.pid, signal.SIGTERM)
    for proc in servers:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Api:
    """The REST API of the API server at `base` as the admin of its simple-auth `home`, for
    one DAG."""

    def __init__(self, base: str, home: Path, dag_id: str = "pco_sync"):
        self.base, self.dag_id = base, dag_id
        password = json.loads((home / "simple_auth_manager_passwords.json.generated")
                              .read_text())["admin"]
        token = requests.post(f"{base}/auth/token", json={"username": "admin",
                                                          "password": password}, timeout=30)
        assert token.status_code == 201, token.text
        self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

    def get(self, path: str):
        answer = requests.get(self.base + path, headers=self.headers, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def post(self, path: str, body: dict) -> requests.Response:
        return requests.post(self.base + path, json=body, headers=self.headers, timeout=60)

    def wait_for_dag(self, timeout: float = 120) -> dict:
        """The DAG once the DAG processor has parsed it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = requests.get(f"{self.base}/api/v2/dags/{self.dag_id}",
                                  headers=self.headers, timeout=30)
            if answer.status_code == 200:
                return answer.json()
            time.sleep(2)
        raise AssertionError(f"the DAG processor did not parse {self.dag_id} in {timeout} s")

    def trigger(self, conf: dict | None = None) -> str:
        answer = self.post(f"/api/v2/dags/{self.dag_id}/dagRuns",
                           {"logical_date": None, "conf": conf or {}})
        assert answer.status_code == 200, answer.text
        return answer.json()["dag_run_id"]

    def task(self, run_id: str, task_id: str) -> dict:
        return self.get(f"/api/v2/dags/{self.dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")

    def tasks(self, run_id: str) -> list[dict]:
        return self.get(f"/api/v2/dags/{self.dag_id}/dagRuns/{run_id}/taskInstances"
                        )["task_instances"]

    def wait_for(self, run_id: str, timeout: float = 300) -> str:
        """The run's final state (success or failed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.get(f"/api/v2/dags/{self.dag_id}/dagRuns/{run_id}")["state"]
            if state in ("success", "failed"):
                return state
            time.sleep(2)
        raise AssertionError(f"run {run_id} did not finish in {timeout} s: "
                             f"{[(t['task_id'], t['state']) for t in self.tasks(run_id)]}")

    def failed(self, run_id: str) -> list[str]:
        return [t["task_id"] for t in self.tasks(run_id) if t["state"] == "failed"]


# The plugin pages' users, by simple auth manager role: one who may do anything, one who may
# edit DAGs (act, connect), one who may only read.
USERS = {"admin": "admin", "editor": "user", "viewer": "viewer"}


@contextmanager
def api_server(home: Path, db_url: str, sim_port: int, log_name: str):
    """An Airflow API server of its own (`home`, a free port, USERS) whose church_db is
    `db_url` and whose PCO is the simulator on `sim_port`, as make airflow prepares one:
    (base URL, {user: bearer headers}, {user: password}, its log's path)."""
    from devkit import devdb, local_airflow

    shutil.rmtree(home, ignore_errors=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    env.update({
        "PCO_SYNC_AIRFLOW_HOME": str(home),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in USERS.items()),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/"})
    subprocess.run([str(AIRFLOW), "dags", "reserialize"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    env[devdb.ENV_AIRFLOW_CONN] = devdb.airflow_conn_uri(db_url)  # church_db
    env = local_airflow.prepare(home, env=env, sim_port=sim_port)
    log_path = home / log_name
    log = open(log_path, "w")
    proc = start(env, log, "api-server", "--port", str(port))
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/api/v2/monitor/health", proc)
        passwords = json.loads((home / "simple_auth_manager_passwords.json.generated")
                               .read_text())
        headers = {}
        for user in USERS:
            token = requests.post(f"{base}/auth/token", json={"username": user,
                                                              "password": passwords[user]},
                                  timeout=30)
            assert token.status_code == 201, token.text
            headers[user] = {"Authorization": f"Bearer {token.json()['access_token']}"}
        yield base, headers, passwords, log_path
    finally:
        stop([proc])
        log.close()


def chromium() -> str:
    """The Chromium the browser tests drive: PCO_SYNC_CHROMIUM, else one on the PATH."""
    import pytest

    if os.environ.get("PCO_SYNC_CHROMIUM"):
        return os.environ["PCO_SYNC_CHROMIUM"]
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.fail("No Chromium for the browser test: `make test` installs Debian's chromium "
                "(as root: apt-get install -y chromium); or set PCO_SYNC_CHROMIUM")
