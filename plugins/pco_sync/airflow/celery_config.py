"""The Celery workers' configuration (`[celery] celery_config_options`): Airflow's defaults,
plus what the workers load once before they fork.

On Linux a Celery worker runs each task in a process forked from one of its pool processes,
and that process loads Airflow's plugins and parses the DAG file again. The plugins (ours
imports Airflow's API server routes: about 3.5 CPU-seconds) and everything the DAG file and
the task bodies import (pco_sync, pandas, psycopg: 2 more, and 7 for Great Expectations in a
validate task) are loaded here once per worker instead of once per task, as Airflow itself
does for its operators (celery_executor_utils).
"""
from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import import_modules

CELERY_CONFIG = DEFAULT_CELERY_CONFIG


# Celery's import_modules: sent in a worker's main process before it forks its pool (not in
# the scheduler, which only sends tasks).
@import_modules.connect
def preload(*args, **kwargs) -> None:
    from airflow.sdk.plugins_manager import integrate_macros_plugins

    integrate_macros_plugins()  # cached: a task process forked after this loads none again
    from pco_sync.airflow import preload as task_preload

    task_preload.task_modules()
