"""The "Sync summary" tab on every pco_sync DAG run: what the run did per entity, read from
the XCom the summarize task pushes under summary.XCOM_KEY (the run is the sync history;
there is no history table).

load() reads the metadata database through Airflow's ORM (only inside the API server);
render() is plain HTML from plain data, so it is tested without a server.
"""
from __future__ import annotations

from html import escape
from types import SimpleNamespace

from pco_sync import summary as summaries
LABELS = {"needs_review": "needing review", "removed": "removed in PCO"}


def load(dag_id: str, run_id: str) -> dict | None:
    """{state, data_interval, conf, summary, tasks: {task_id: state}}; None: no such run."""
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
        value = session.scalar(XComModel.get_many(
            run_id=run_id, key=summaries.XCOM_KEY, dag_ids=dag_id
        ).with_only_columns(XComModel.value))
        return {
            "state": str(run.state),
            "data_interval": (run.data_interval_start, run.data_interval_end),
            "conf": run.conf or {},
            "summary": XComModel.deserialize_value(SimpleNamespace(value=value)),
            "tasks": {task_id: str(state) if state else "none" for task_id, state in tis},
        }


def render(dag_id: str, run_id: str, run: dict | None) -> str:
    title = f"pco_sync run {escape(run_id)}"
    if run is None:
        body = f"<p>No run <code>{escape(run_id)}</code> of <code>{escape(dag_id)}</code>.</p>"
        return _page(title, body)
    start, end = run["data_interval"]
    parts = [f"<p>State <b>{escape(run['state'])}</b> &middot; window "
             f"<code>{escape(str(start))}</code> to <code>{escape(str(end))}</code>"
             f"{' &middot; conf <code>' + escape(str(run['conf'])) + '</code>' if run['conf'] else ''}</p>"]
    summary = run["summary"]
    if isinstance(summary, dict) and summary:
        for title, rows, keys in summaries.sections(summary):
            head = "".join(f"<th>{escape(LABELS.get(k, k).replace('_', ' '))}</th>" for k in keys)
            body = "".join(
                f"<tr><th>{escape(str(e))}</th>"
                + "".join(f"<td>{escape(str(c.get(k, '')))}</td>" for k in keys) + "</tr>"
                for e, c in rows.items())
            parts.append(f"<h3>{escape(title)}</h3><table><tr><th>entity</th>{head}</tr>{body}</table>")
    else:
        parts.append("<p>No counts: the summarize task has not run for this run.</p>")
    bad = {t: s for t, s in run["tasks"].items() if s in ("failed", "upstream_failed")}
    if bad:
        items = "".join(f"<li><code>{escape(t)}</code>: {escape(s)}</li>" for t, s in sorted(bad.items()))
        parts.append("<h3>Did not finish</h3><ul>" + items + "</ul>"
                     "<p>The failed task's error says why (task instance, Logs).</p>")
    parts.append(
        "<p>Details in the church database: <code>sync.quarantine</code>, "
        "<code>sync.match_review</code> and <code>sync.conflicts</code>, each "
        f"<code>WHERE run_id = '{escape(run_id)}'</code>.</p>")
    return _page(title, "".join(parts))


def _page(title: str, body: str) -> str:
    return ("<!doctype html><html><head><meta charset='utf-8'><title>" + title + "</title><style>"
            "body{font-family:system-ui,sans-serif;margin:1rem;color:#222}"
            "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.3rem .6rem}"
            "td{text-align:right}</style></head><body><h2>" + title + "</h2>" + body + "</body></html>")

