"""The "Sync summary" tab on every pco_sync DAG run: what the run did per entity, read from
the XCom the summarize task pushes under summary.XCOM_KEY (the run is the sync history;
there is no history table).

load() reads the metadata database through Airflow's ORM (only inside the API server);
render() is plain data into templates/summary.html, so it is tested without a server.
"""
from __future__ import annotations

from types import SimpleNamespace

from pco_sync import summary as summaries
from pco_sync.airflow import templates

LABELS = {"needs_review": "needing review", "removed": "removed in PCO",
          "not_read": "lists not read", "waiting_to_retry": "waiting to retry"}


def load(dag_id: str, run_id: str) -> dict | None:
    """{state, data_interval, conf, summary, open_items, tasks: {task_id: state}};
    None: no such run."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
        if run is None:
            return None
        tis = session.execute(select(TaskInstance.task_id, TaskInstance.state).where(
            TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)).all()

        def xcom(key):
            value = session.scalar(XComModel.get_many(
                run_id=run_id, key=key, dag_ids=dag_id).with_only_columns(XComModel.value))
            return XComModel.deserialize_value(SimpleNamespace(value=value))

        return {
            "state": str(run.state),
            "data_interval": (run.data_interval_start, run.data_interval_end),
            "conf": run.conf or {},
            "summary": xcom(summaries.XCOM_KEY),
            "open_items": xcom(summaries.OPEN_ITEMS_KEY),
            "read": xcom(summaries.READ_KEY),
            "tasks": {task_id: str(state) if state else "none" for task_id, state in tis},
        }


def render(dag_id: str, run_id: str, run: dict | None, review_url: str | None = None,
           quality_url: str | None = None) -> str:
    """The tab's HTML; review_url: the PCO Sync page, linked from "Needs a person";
    quality_url: this run's Great Expectations Data Docs."""
    if run is None:
        return templates.render("summary.html", dag_id=dag_id, run_id=run_id, run=None)
    summary = run["summary"]
    return templates.render(
        "summary.html", dag_id=dag_id, run_id=run_id, run=run, conf=run["conf"] or {},
        read=run.get("read"), interval=run["data_interval"],
        tables=[_table(title, rows, keys) for title, rows, keys in summaries.sections(summary)]
        if isinstance(summary, dict) and summary else [],
        quality_url=quality_url,
        unfinished=sorted((t, s) for t, s in run["tasks"].items()
                          if s in ("failed", "upstream_failed")),
        open_items=run.get("open_items") or [], review_url=review_url)


def _table(title: str, rows: dict, keys: list[str]) -> dict:
    """One table of counts: a row per entity, a cell per key; a row with a status (a list
    not read) says it instead of counts."""
    return {"title": title,
            "columns": [LABELS.get(k, k).replace("_", " ") for k in keys],
            "rows": [{"entity": e, "status": c.get(summaries.STATUS),
                      "cells": [c.get(k, "") for k in keys]} for e, c in rows.items()]}
