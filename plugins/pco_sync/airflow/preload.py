"""What every sync task imports, loaded once in the process its task processes are forked
from instead of once per task: the DAG file's modules and the task bodies' (pco_sync,
requests, psycopg, PostgresHook: about 0.7 s a task), and, for a validate task with records
to check, pandas and Great Expectations (seconds more).

Celery: a worker's main process, before it forks its pool (celery_config). LocalExecutor
(`make airflow`, standalone): the scheduler, as its job starts (this module is a lifecycle
listener of the plugin): its executor forks its workers right after, and each task process
is forked from a worker.
"""
from __future__ import annotations

import sys

from airflow.listeners import hookimpl


def task_modules() -> None:
    import pandas  # noqa: F401
    import psycopg  # noqa: F401
    import requests  # noqa: F401
    from airflow.providers.postgres.hooks.postgres import PostgresHook  # noqa: F401

    import pco_sync.airflow.sync_dag  # noqa: F401  (and the task bodies it imports)
    from pco_sync.pco import client  # noqa: F401
    from pco_sync.quality import checkpoint

    checkpoint.load()


@hookimpl
def on_starting(component) -> None:
    """Every Airflow component is a job; only the scheduler's tasks are forked from it."""
    if sys.argv[1:2] == ["scheduler"]:
        task_modules()
