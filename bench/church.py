"""What the benchmarks share: the bench database, a PCO simulator in its own process, and a
church of N people extracted into pco_staging (the merge benchmark starts from those rows).

The database is `pco_sync_bench` (PCO_SYNC_BENCH_DB overrides it) on the server the tests
use: AIRFLOW_CONN_CHURCH_DB, TEST_DATABASE_URL or the embedded PostgreSQL (devkit.devdb).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from pco_sync import church_db as pco_db
from devkit import devdb

ROOT = Path(__file__).resolve().parents[1]
PEOPLE = 100_000
SEED = 1
APP_ID, SECRET = "bench_app", "bench_secret"


def run_id(people: int = PEOPLE) -> str:
    """The staging run id a church of `people` is extracted under."""
    return f"bench-{people}"


def env() -> dict[str, str]:
    """The environment for bench subprocesses: the repo and its plugins importable."""
    paths = [str(ROOT), str(ROOT / "plugins"), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def database(fresh: bool = False, name: str | None = None) -> str:
    """URL of the migrated bench database (`name`: a suite's own); `fresh` drops and
    recreates it first."""
    server = devdb.church_db_url()
    name = name or os.environ.get("PCO_SYNC_BENCH_DB", "pco_sync_bench")
    if fresh:
        with psycopg.connect(server, autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
    url = devdb.ensure_database(server, name)
    with pco_db.connect(url) as conn:
        pco_db.apply_migrations(conn)
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sim:
    """A simulator process (`python -m pco_simulator serve`): PCO stays out of the measured
    process, as the real one would be."""

    def __init__(self, people: int, **config):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "pco_simulator", "serve", "--port", str(self.port),
               "--people", str(people), "--seed", str(SEED), "--app-id", APP_ID,
               "--secret", SECRET]
        for key, value in config.items():
            cmd += [f"--{key.replace('_', '-')}", str(value)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 300  # generating 100,000 people takes ~10 s
        while not self._healthy():
            if self.proc.poll() is not None:
                raise RuntimeError(f"the simulator exited: {self.proc.stderr.read()[-2000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the simulator did not come up within 300 s")
            time.sleep(0.2)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/__admin/health", timeout=2):
                return True
        except OSError:
            return False

    def configure(self, **values) -> dict:
        """Change rate limit / time scale at run time (the admin API; resets the windows)."""
        req = urllib.request.Request(self.url + "/__admin/config", method="PATCH",
                                     data=json.dumps(values).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextmanager
def simulator(people: int, **config):
    sim = Sim(people, **config)
    try:
        yield sim
    finally:
        sim.stop()


def extract_in_child(sim_url: str, db_url: str, run: str) -> dict:
    """Run bench.extract's child (people then households with one client) in a process of
    its own, so its peak memory is the extract's alone; returns what it measured."""
    proc = subprocess.run([sys.executable, "-m", "bench.extract", "--child", sim_url, db_url,
                           run], cwd=ROOT, env=env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the extract failed (exit {proc.returncode}):\n"
                           f"{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def staged_people(db_url: str, run: str) -> int:
    with pco_db.connect(db_url) as conn:
        return conn.execute("SELECT count(*) FROM pco_staging.people WHERE run_id = %s",
                            (run,)).fetchone()[0]


def ensure_staged(db_url: str, people: int = PEOPLE) -> str:
    """A church of `people` in pco_staging under run_id(people): left there by the extract
    benchmark, or extracted now from a simulator without a rate limit. Returns the run id."""
    run = run_id(people)
    if staged_people(db_url, run) < people:
        with simulator(people, rate_limit=10_000_000) as sim:
            extract_in_child(sim.url, db_url, run)
    return run


@contextmanager
def standalone(env: dict, home: Path, port: int):
    """`bin/airflow standalone` with `env` (its log in <home>/standalone.log), once its
    scheduler is healthy: the API server's base URL. Stopped with its whole process group."""
    log = open(home / "standalone.log", "w")
    proc = subprocess.Popen([str(ROOT / "bin" / "airflow"), "standalone"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while not _scheduler_healthy(base):
            assert proc.poll() is None, f"airflow standalone exited; see {home}/standalone.log"
            assert time.monotonic() < deadline, "airflow standalone did not come up"
            time.sleep(1)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _scheduler_healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/api/v2/monitor/health", timeout=2) as resp:
            return json.loads(resp.read())["scheduler"]["status"] == "healthy"
    except (OSError, ValueError, KeyError, TypeError):
        return False
