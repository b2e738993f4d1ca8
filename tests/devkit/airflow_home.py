"""Throwaway Airflow homes for the devkit tests: a migrated SQLite metadata DB, the CLI
through bin/airflow, and what the metadata DB holds read through Airflow's own models (in a
subprocess: Airflow reads its home once, at import)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from servers import airflow  # noqa: F401  (the devkit tests call it from here)

ROOT = Path(__file__).resolve().parents[2]
_MARK = "STORED:"

_READ = f"""
import json
from airflow.models import Connection, DagModel, Pool, Variable
from airflow.utils.session import create_session
with create_session() as s:
    out = {{
        "connections": {{c.conn_id: {{"conn_type": c.conn_type, "host": c.host,
                                       "schema": c.schema, "login": c.login,
                                       "password": c.password, "port": c.port}}
                         for c in s.query(Connection)}},
        "variables": {{v.key: v.val for v in s.query(Variable)}},
        "pools": {{p.pool: p.slots for p in s.query(Pool)}},
        "paused": {{d.dag_id: d.is_paused for d in s.query(DagModel)}},
    }}
print({_MARK!r} + json.dumps(out))
"""


def clean_env(home: Path) -> dict:
    """This process's environment without connections or variables set by environment
    variables (a developer's shell must not change what the tests see), for `home`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_", "AIRFLOW__"))}
    env["PCO_SYNC_AIRFLOW_HOME"] = str(home)
    return env


def python(env: dict, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    """`python ARGS` with Airflow's home set as bin/airflow sets it."""
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**env, "AIRFLOW_HOME": env["PCO_SYNC_AIRFLOW_HOME"]},
                          timeout=timeout)
    assert proc.returncode == 0, f"python {args}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def migrated(home: Path) -> dict:
    """A new metadata DB in `home`; returns the environment to use it with."""
    env = clean_env(home)
    airflow(env, "version")  # bin/airflow migrates a new home first
    return env


def stored(env: dict) -> dict:
    """Connections, variables, pools and paused flags as the metadata DB holds them."""
    out = python(env, "-c", _READ).stdout
    return json.loads(out[out.rindex(_MARK) + len(_MARK):].splitlines()[0])


def outcomes(output: str) -> dict[str, str]:
    """'connection church_db: created' lines as {'connection church_db': 'created'}."""
    lines = (line.strip() for line in output.splitlines())
    return dict(line.split(": ", 1) for line in lines
                if line.startswith(("connection ", "pool ", "variable ")) and ": " in line)
