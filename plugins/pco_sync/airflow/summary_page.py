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
from pco_sync.airflow import frame, look
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
    heading = f"Sync summary of {escape(dag_id)} run {escape(run_id)}"
    if run is None:
        body = f"<p>No run <code>{escape(run_id)}</code> of <code>{escape(dag_id)}</code>.</p>"
        return _page(heading, body)
    conf = run["conf"] or {}
    parts = [f"<p>State <b>{escape(run['state'])}</b>"
             f"{' &middot; conf <code>' + escape(str(conf)) + '</code>' if conf else ''}</p>",
             _read(run.get("read"), run["data_interval"])]
    if conf.get("dry_run"):
        parts.append("<p class='banner'><b>Dry run:</b> nothing was sent to PCO. The counts "
                     "under \"pushed to PCO\" are what a real run would have sent; the pull and "
                     "the merges did write to the church database.</p>")
    summary = run["summary"]
    if isinstance(summary, dict) and summary:
        for title, rows, keys in summaries.sections(summary):
            parts.append(_table(title, rows, keys))
    else:
        parts.append("<p>No counts: the summarize task has not run for this run.</p>")
    if quality_url:
        parts.append(f"<p><a target='_blank' href='{escape(quality_url)}'>Great Expectations "
                     "results of this run</a> (the row checks, record by record).</p>")
    bad = {t: s for t, s in run["tasks"].items() if s in ("failed", "upstream_failed")}
    if bad:
        items = "".join(f"<li><code>{escape(t)}</code>: {escape(s)}</li>" for t, s in sorted(bad.items()))
        parts.append("<h3>Did not finish</h3><ul>" + items + "</ul>"
                     "<p>The failed task's error says why (task instance, Logs).</p>")
    parts.append(_open_items(run.get("open_items"), review_url))
    return _page(heading, "".join(parts))


def _read(read: dict | None, interval) -> str:
    """What the run read from PCO, per resource (the extracts' own windows); a run from
    before that was recorded shows Airflow's data interval, named as such."""
    if read:
        items = "".join(f"<li>{escape(resource)}: {escape(what)}</li>"
                        for resource, what in read.items())
        return f"<p>Read from PCO:</p><ul class='read'>{items}</ul>"
    start, end = interval
    if start is None:
        return "<p class='muted'>No data interval.</p>"
    return (f"<p class='muted'>Airflow's data interval <code>{escape(str(start))}</code> to "
            f"<code>{escape(str(end))}</code>.</p>")


def _table(title: str, rows: dict, keys: list[str]) -> str:
    head = "".join(f"<th>{escape(LABELS.get(k, k).replace('_', ' '))}</th>" for k in keys)
    body = "".join(
        f"<tr><th>{escape(str(e))}</th>" + (
            f"<td class='status' colspan='{len(keys)}'>{escape(c[summaries.STATUS])}</td>"
            if summaries.STATUS in c else
            "".join(f"<td>{escape(str(c.get(k, '')))}</td>" for k in keys)) + "</tr>"
        for e, c in rows.items())
    return (f"<h3>{escape(title)}</h3><div class='scroll'><table class='counts'>"
            f"<tr><th>entity</th>{head}</tr>"
            f"{body}</table></div>")


def _open_items(items, review_url: str | None) -> str:
    if not items:
        return ""
    where = (f"<p><a target='_top' href='{escape(review_url)}'>Settle them on the PCO Sync "
             "page</a> (also in the Airflow menu).</p>" if review_url else "")
    rows = "".join(f"<tr><th>{escape(i['kind'])}</th><td>{i['this_run']}</td>"
                   f"<td>{i['open_now']}</td></tr>" for i in items)
    return ("<h3>Needs a person</h3><div class='scroll'><table><tr><th>what</th>"
            "<th>found by this run</th><th>open now (all runs)</th></tr>" + rows +
            "</table></div>" + where)


def _page(heading: str, body: str) -> str:
    return ("<!doctype html><html><head><meta charset='utf-8'><title>" + heading + "</title>"
            + look.head() + frame.script_tag() + "</head><body><h2>" + heading
            + "</h2>" + body + "</body></html>")
