"""The Celery workers' configuration (pco_sync.airflow.celery_config): a worker loads Airflow's
plugins, pco_sync and Great Expectations once, before it forks its pool, so the process each
task runs in (forked from it) loads none of them again; the scheduler, which sends tasks with
the same configuration, loads none of them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from devkit import celery

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: what this test process imported must not count.
PROBE = """
import json, sys
from airflow.providers.celery.executors import celery_executor_utils as utils

heavy = ("great_expectations", "pco_sync.airflow.plugin", "pco_sync.airflow.sync_dag", "pandas")
scheduler_side = sorted(m for m in heavy if m in sys.modules)
utils.app.loader.import_default_modules()  # what a Celery worker does before its pool forks
from airflow.sdk.plugins_manager import _get_plugins
print(json.dumps({"config": utils.app.conf.get("broker_url"),
                  "scheduler_side": scheduler_side,
                  "worker_side": sorted(m for m in heavy if m in sys.modules),
                  "plugins_loaded": _get_plugins.cache_info().currsize,
                  "plugins": [p.name for p in _get_plugins()[0]]}))
"""


def test_a_worker_loads_plugins_and_pco_sync_once_before_it_forks(tmp_path):
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path),
           "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": celery.CELERY_CONFIG,
           "AIRFLOW__CELERY__BROKER_URL": "redis://127.0.0.1:1/0",  # never connected to
           "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins")}
    proc = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["config"] == "redis://127.0.0.1:1/0"  # Airflow's settings still apply
    assert got["scheduler_side"] == []
    assert got["worker_side"] == ["great_expectations", "pandas", "pco_sync.airflow.plugin",
                                  "pco_sync.airflow.sync_dag"]
    assert got["plugins_loaded"] == 1 and "pco_sync" in got["plugins"]
