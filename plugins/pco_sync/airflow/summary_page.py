"""The "Sync summary" tab on every pco_sync DAG run: what the run did per entity, read from
the XCom the summarize task pushes under summary.XCOM_KEY (the run is the sync history;
there is no history table).

load() reads the metadata database through Airflow's ORM (only inside the API server);
render() is plain data into templates/summary.html, so it is tested without a server.
"""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

from pco_sync import summary as summaries
from pco_sync.airflow import templates
from pco_sync.progress import amount, count, duration, share

IN_PROGRESS = ("queued", "running")  # run states whose tab shows progress and reloads itself
REFRESH_SECONDS = 3

LABELS = {"needs_review": "needing review", "removed": "removed in PCO",
          "not_read": "lists not read", "waiting_to_retry": "waiting to retry"}


def load(dag_id: str, run_id: str) -> dict | None:
    """{state, data_interval, conf, summary, open_items, tasks: {task_id: state},
    started: {task_id: start date}, progress: {task_id: its latest progress report}};
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
        tis = session.execute(select(TaskInstance.task_id, TaskInstance.state,
                                     TaskInstance.start_date).where(
            TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)).all()

        def xcom(key):
            value = session.scalar(XComModel.get_many(
                run_id=run_id, key=key, dag_ids=dag_id).with_only_columns(XComModel.value))
            return XComModel.deserialize_value(SimpleNamespace(value=value))

        progress = session.execute(XComModel.get_many(
            run_id=run_id, key=summaries.PROGRESS_KEY, dag_ids=dag_id).with_only_columns(
            XComModel.task_id, XComModel.value)).all()

        return {
            "state": str(run.state),
            "data_interval": (run.data_interval_start, run.data_interval_end),
            "conf": run.conf or {},
            "summary": xcom(summaries.XCOM_KEY),
            "open_items": xcom(summaries.OPEN_ITEMS_KEY),
            "read": xcom(summaries.READ_KEY),
            "tasks": {task_id: str(state) if state else "none" for task_id, state, _ in tis},
            "started": {task_id: start for task_id, _, start in tis if start},
            "progress": {task_id: XComModel.deserialize_value(SimpleNamespace(value=value))
                         for task_id, value in progress},
        }


def running(dag_id: str) -> tuple[str, dict] | None:
    """(run id, load()) of the DAG's latest run in progress; None when none is."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run_id = session.scalar(select(DagRun.run_id).where(
            DagRun.dag_id == dag_id, DagRun.state.in_(IN_PROGRESS)).order_by(
            DagRun.start_date.desc().nulls_last(), DagRun.id.desc()).limit(1))
    if run_id is None:
        return None
    run = load(dag_id, run_id)
    return (run_id, run) if run else None


def progress_rows(run: dict, now: datetime | None = None) -> list[dict]:
    """What each running task of `run` (load()) reports, as the tab shows it."""
    return _in_progress(run, now or datetime.now(timezone.utc))


def render(dag_id: str, run_id: str, run: dict | None, review_url: str | None = None,
           quality_url: str | None = None, now: datetime | None = None) -> str:
    """The tab's HTML; review_url: the PCO Sync page, linked from "Needs a person";
    quality_url: this run's Great Expectations Data Docs. While the run is in progress the
    tab shows how far each running task is and reloads itself every REFRESH_SECONDS."""
    if run is None:
        return templates.render("summary.html", dag_id=dag_id, run_id=run_id, run=None)
    summary = run["summary"]
    running = run["state"] in IN_PROGRESS
    return templates.render(
        "summary.html", dag_id=dag_id, run_id=run_id, run=run, conf=run["conf"] or {},
        read=run.get("read"), interval=run["data_interval"],
        tables=[_table(title, rows, keys) for title, rows, keys in summaries.sections(summary)]
        if isinstance(summary, dict) and summary else [],
        quality_url=quality_url,
        unfinished=sorted((t, s) for t, s in run["tasks"].items()
                          if s in ("failed", "upstream_failed")),
        open_items=run.get("open_items") or [], review_url=review_url,
        refresh=REFRESH_SECONDS if running else None,
        in_progress=_in_progress(run, now or datetime.now(timezone.utc)) if running else [])


def _in_progress(run: dict, now: datetime) -> list[dict]:
    """A row per running task: what its latest progress report says (pco_sync.progress), or
    only how long it has run for a task that reports none (checks and merges are single
    statements)."""
    rows = []
    for task, state in sorted(run["tasks"].items()):
        if state != "running":
            continue
        started = (run.get("started") or {}).get(task)
        row = {"task": task, "what": None, "share": None, "left": None, "updated": None,
               "running": duration(_age(started, now)) if started else None}
        figures = (run.get("progress") or {}).get(task)
        if isinstance(figures, dict) and "done" in figures:
            done, total = figures["done"], figures.get("total")
            extra = [count(figures[k], k) for k in ("pages", "requests", "records")
                     if isinstance(figures.get(k), int)]
            if figures.get("statement"):  # a merge: the step it is in
                extra.append(f"now {figures['statement']}")
            row["what"] = " ".join(filter(None, [
                figures.get("step"), amount(done, total), figures.get("unit"),
                f"({', '.join(extra)})" if extra else ""]))
            row["share"] = share(done, total)
            age = _age(figures.get("updated"), now)
            if figures.get("left") is not None:  # the estimate less the time since it was made
                row["left"] = "about " + duration(max(figures["left"] - age, 0))
            row["updated"] = duration(age) + " ago"
        rows.append(row)
    return rows


def _age(when, now: datetime) -> float:
    """Seconds since `when` (a datetime or ISO-8601 text)."""
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    return max((now - when).total_seconds(), 0.0)


def _table(title: str, rows: dict, keys: list[str]) -> dict:
    """One table of counts: a row per entity, a cell per key; a row with a status (a list
    not read) says it instead of counts."""
    return {"title": title,
            "columns": [LABELS.get(k, k).replace("_", " ") for k in keys],
            "rows": [{"entity": e, "status": c.get(summaries.STATUS),
                      "cells": [c.get(k, "") for k in keys]} for e, c in rows.items()]}
