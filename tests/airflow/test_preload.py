"""The task modules are loaded once where task processes are forked from (issue 18's quiet
run): the plugin registers pco_sync.airflow.preload as a lifecycle listener, which loads
them when the scheduler's job starts (its LocalExecutor forks its workers right after),
and only there: the API server, DAG processor and triggerer stay as they are."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOADED = ("pco_sync.airflow.sync_dag", "airflow.providers.postgres.hooks.postgres",
          "requests", "great_expectations")

# A process named as Airflow's component `argv1` starting a job, as Job() does.
CHILD = """
import json, sys
sys.argv = ["airflow", sys.argv[1]]
from airflow.listeners.listener import get_listener_manager
from airflow.jobs.job import Job
manager = get_listener_manager()
ours = [p.__name__ for p in manager.pm.get_plugins() if getattr(p, "__name__", "").startswith("pco_sync")]
Job()
print(json.dumps({"listeners": ours, "loaded": [m for m in %r if m in sys.modules]}))
""" % (LOADED,)


@pytest.mark.parametrize("component, loaded", [("scheduler", list(LOADED)),
                                               ("triggerer", [])])
def test_the_scheduler_loads_the_task_modules_as_its_job_starts(component, loaded):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), str(ROOT / "plugins"), os.environ.get("PYTHONPATH", "")]),
           "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins")}  # as bin/airflow sets it
    proc = subprocess.run([sys.executable, "-c", CHILD, component], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["listeners"] == ["pco_sync.airflow.preload"]
    assert out["loaded"] == loaded
