"""The "PCO Sync" page's routes, mounted by the plugin in Airflow's API server under
/pco-sync/review/{dag_id}. Behind Airflow's own auth: reading needs read access to the DAG,
acting needs edit access to it, "Sync now" needs the right to start its runs. The actor of
every decision is the Airflow user who took it.

The church database is the DAG's `church_db` connection, opened per request (the API server
may run on a machine of its own; nothing is cached between requests).
"""
from __future__ import annotations

import json
from contextlib import closing
from typing import Any
from urllib.parse import urlsplit

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pco_sync.errors import ReviewError, SettingsError

PREFIX = "/review/{dag_id}"


def _church(dag_id: str):
    from pco_sync import churches

    church = churches.by_dag_id(dag_id)
    if church is None:
        raise HTTPException(404, f"{dag_id} is not the sync DAG of a church of this deployment")
    return church


def _church_db(dag_id: str):
    from pco_sync.airflow.tasks import church_db

    return closing(church_db(_church(dag_id).church_db_conn_id))


def _policy_variable(dag_id: str) -> str:
    from pco_sync.merge.run import POLICY_VARIABLE

    return _church(dag_id).variable(POLICY_VARIABLE)


def _policy(dag_id: str) -> dict:
    from airflow.models.variable import Variable

    from pco_sync.merge.run import policy_from_variable

    try:
        return policy_from_variable(Variable.get(_policy_variable(dag_id), default_var=None))
    except SettingsError:
        return {}  # the page offers to replace a broken Variable; the merge says why it is broken


def _pco_api(dag_id: str) -> str | None:
    """The base URL of the church's PCO connection (None when it cannot be read: links then
    lead to PCO's web app)."""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection

    try:
        return Connection.get_connection_from_secrets(_church(dag_id).pco_conn_id).host
    except AirflowNotFoundException:
        return None


def _webhook_backlog(conn) -> dict | None:
    """The webhook inbox's backlog when one builds up (None: none, or no inbox yet)."""
    import psycopg

    from pco_sync.webhooks import inbox

    try:
        backlog = inbox.backlog(conn)
    except psycopg.errors.UndefinedTable:  # migration 074 not applied here yet
        return None
    return backlog if inbox.building_up(backlog) else None


def _pending(conn) -> list[str]:
    """The migrations the church database lacks; 409 when code and database disagree (the
    runs fail saying the same)."""
    from pco_sync import church_db
    from pco_sync.errors import MigrationError

    try:
        return church_db.pending_migrations(conn)
    except MigrationError as exc:
        raise HTTPException(409, str(exc)) from None


def _not_synced(dag_id: str, conn, connection: dict | None = None,
                may_connect: bool = False) -> HTMLResponse | None:
    """The page saying the church database is not ready yet (no run yet, or migrations its
    next run applies); None when the page can be read."""
    from pco_sync import church_db
    from pco_sync.airflow import review_page

    pending = _pending(conn)
    if not pending:
        return None
    applied_any = len(pending) < len(church_db.migrations())
    return HTMLResponse(review_page.render_not_synced(dag_id, pending, applied_any,
                                                      connection, may_connect))


def _connection(dag_id: str, url_prefix: str) -> dict:
    """The church's Planning Center connection (the page's panel)."""
    from pco_sync.airflow import connect_api

    return connect_api.connection(_church(dag_id), url_prefix)


def _ready(dag_id: str, conn) -> None:
    """The JSON API's answer before the church database is ready: 409, saying why."""
    if _pending(conn):
        raise HTTPException(409, f"the church database of {dag_id} is not ready: its next run "
                                 "creates or updates the schema (nothing has run yet, or the "
                                 "code was upgraded since)")


def same_origin(request: Request) -> None:
    """Refuse (403) a state-changing request a browser sent from another site. Airflow's
    login cookie goes with every request the browser makes to the deployment, a form or
    script of another site included; the page's own requests name the deployment as their
    Origin (or Referer). A client with a bearer token and no cookie has nothing to forge."""
    if "authorization" in request.headers and not request.cookies:
        return
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    own = {h.strip().lower() for h in (request.headers.get("host", ""),
                                       request.headers.get("x-forwarded-host", ""))
           if h.strip()}
    if source in ("", "null") or urlsplit(source).netloc.lower() not in own:
        raise HTTPException(403, "refused: this request did not come from this deployment's "
                                 "own pages (its Origin or Referer names another site)")


def router(url_prefix: str) -> APIRouter:
    read = [Depends(requires_access_dag("GET"))]
    # The origin first: a forged request is refused before anything else is looked at.
    edit = [Depends(same_origin), Depends(requires_access_dag("PUT"))]
    start = [Depends(same_origin), Depends(requires_access_dag("POST", DagAccessEntity.RUN))]
    api = APIRouter(prefix=PREFIX)
    landing = APIRouter()

    def base(dag_id: str) -> str:
        return f"{url_prefix}/review/{dag_id}"

    @landing.get("/review", response_class=HTMLResponse)
    def churches_page(user: GetUserDep) -> Response:
        """The menu's entry: the one church's page, or each church the user may read."""
        from pco_sync import churches
        from pco_sync.airflow import review_page

        from pco_sync.airflow.connect_api import connect_url

        usable, broken = churches.read()
        readable = [c for c in usable if _may(c.dag_id, user, "GET")]
        broken = [b for b in broken if _may(b.dag_id, user, "GET")]
        if len(readable) == 1 and not broken:
            return RedirectResponse(base(readable[0].dag_id))
        return HTMLResponse(review_page.render_churches(
            [(c.name, c.dag_id, base(c.dag_id)) for c in readable],
            [(b.dag_id, b.error) for b in broken],
            {c.dag_id: connect_url(url_prefix, c.dag_id) for c in readable
             if _may(c.dag_id, user, "PUT")}))

    @api.get("", response_class=HTMLResponse, dependencies=read)
    def page(dag_id: str, user: GetUserDep, kind: str | None = None, entity: str | None = None,
             field: str | None = None, search: str | None = None,
             stream: str | None = None) -> HTMLResponse:
        from pco_sync.airflow import review_page
        from pco_sync.review import queries

        connection, may_connect = _connection(dag_id, url_prefix), _may(dag_id, user, "PUT")
        with _church_db(dag_id) as conn:
            waiting = _not_synced(dag_id, conn, connection, may_connect)
            if waiting is not None:
                return waiting
            counts = queries.counts(conn)
            if kind is None:  # open on the first kind that needs someone
                kind = next((k for k, _, _ in queries.KINDS if counts.get(k)), "conflicts")
            filters = {k: v for k, v in {"entity": entity, "field": field, "search": search,
                                         "stream": stream}.items()
                       if k in queries.FILTERS.get(kind, ())}
            try:
                items = queries.items(conn, kind, **filters)
            except ValueError as exc:
                raise HTTPException(400, str(exc)) from None
            backlog = _webhook_backlog(conn)
        return HTMLResponse(review_page.render(base(dag_id), dag_id, counts, kind, items,
                                               _policy(dag_id), filters,
                                               _policy_variable(dag_id), backlog=backlog,
                                               run_dags=_webhook_runs(dag_id, items),
                                               pco_api=_pco_api(dag_id),
                                               connection=connection,
                                               may_connect=may_connect,
                                               syncing=_syncing(dag_id)))

    @api.get("/history", response_class=HTMLResponse, dependencies=read)
    def history_page(dag_id: str, entity: str | None = None, local_id: int | None = None,
                     pco_id: str | None = None) -> HTMLResponse:
        from pco_sync.airflow import review_page
        from pco_sync.review import queries

        with _church_db(dag_id) as conn:
            waiting = _not_synced(dag_id, conn)
            if waiting is not None:
                return waiting
            rows = queries.history(conn, entity, local_id, pco_id)
        what = f"{entity} {local_id or pco_id}" if entity else "every record"
        return HTMLResponse(review_page.render_history(base(dag_id), dag_id, rows, what))

    @api.get("/quality", response_class=HTMLResponse, dependencies=read)
    def quality(dag_id: str, run_id: str, stream: str | None = None) -> HTMLResponse:
        """Great Expectations' Data Docs of a run's row checks (sync.quality_results)."""
        from pco_sync.errors import NoQualityResults
        from pco_sync.quality import docs

        with _church_db(dag_id) as conn:
            try:
                return HTMLResponse(docs.render(conn, run_id, stream, home=base(dag_id)))
            except NoQualityResults as exc:
                raise HTTPException(404, f"{exc} (a run that staged nothing checks nothing)") from None

    @api.get("/api/items/{kind}", dependencies=read)
    def items(dag_id: str, kind: str, request: Request) -> dict:
        from pco_sync.review import queries

        with _church_db(dag_id) as conn:
            _ready(dag_id, conn)
            try:
                rows = queries.items(conn, kind, **dict(request.query_params))
            except ValueError as exc:
                raise HTTPException(400, str(exc)) from None
        return {"kind": kind, "items": json.loads(json.dumps(rows, default=str))}

    @api.get("/api/progress", dependencies=read)
    def progress(dag_id: str) -> dict:
        """The running sync's tasks and how far each is (the page polls it)."""
        return _syncing(dag_id) or {"run_id": None, "rows": []}

    @api.get("/api/counts", dependencies=read)
    def counts(dag_id: str) -> dict:
        from pco_sync.review import queries

        with _church_db(dag_id) as conn:
            _ready(dag_id, conn)
            return queries.counts(conn)

    @api.get("/api/history", dependencies=read)
    def history(dag_id: str, entity: str | None = None, local_id: int | None = None,
                pco_id: str | None = None) -> list[dict]:
        from pco_sync.review import queries

        with _church_db(dag_id) as conn:
            _ready(dag_id, conn)
            return json.loads(json.dumps(queries.history(conn, entity, local_id, pco_id),
                                         default=str))

    @api.post("/api/act", dependencies=edit)
    def act(dag_id: str, user: GetUserDep, body: dict[str, Any] = Body(...)) -> dict:
        from pco_sync.review import actions

        kind, action = body.get("kind"), body.get("action")
        with _church_db(dag_id) as conn:
            _ready(dag_id, conn)
            try:
                log_ids = actions.act(conn, kind, action, body.get("ids") or [],
                                      user.get_name(), body.get("value"))
            except ReviewError as exc:
                raise HTTPException(400, str(exc)) from None
            message = actions.told(conn, kind, action, log_ids)
        chosen = actions.ACTIONS[kind][action]
        answer = {"log_ids": log_ids, "message": message}
        if chosen.starts_run:
            if _may_start_runs(dag_id, user):
                answer["dag_run_id"] = _start_run(dag_id, user)
                answer["message"] += f" Run {answer['dag_run_id']} started."
            else:
                answer["message"] += " The next run sends it."
        return answer

    @api.put("/api/policy", dependencies=edit)
    def policy(dag_id: str, body: dict[str, Any] = Body(...)) -> dict:
        from airflow.models.variable import Variable

        from pco_sync.merge.run import conflict_policy

        try:
            checked = conflict_policy(body)
        except SettingsError as exc:
            raise HTTPException(400, str(exc)) from None
        # Groups left manual are left out: the Variable says only what differs from today's rule.
        saved = {g: p for g, p in checked.items() if p != "manual"}
        Variable.set(_policy_variable(dag_id), json.dumps(saved, sort_keys=True),
                     description="Conflict policies per field group (set on the PCO Sync page)")
        return {"policy": saved, "message": "Policies saved; the next run uses them."}

    @api.post("/api/sync-now", dependencies=start)
    def sync_now(dag_id: str, user: GetUserDep) -> dict:
        run_id = _start_run(dag_id, user)
        return {"dag_run_id": run_id,
                "message": f"Run {run_id} started; it is listed under the DAG's runs."}

    root = APIRouter()  # routes are copied when included: after they are all defined
    root.include_router(landing)
    root.include_router(api)
    return root


def _syncing(dag_id: str) -> dict | None:
    """The DAG's run in progress and its running tasks' progress ({run_id, url, rows});
    None when no run is in progress."""
    from pco_sync.airflow import review_page, summary_page

    found = summary_page.running(dag_id)
    if found is None:
        return None
    run_id, run = found
    return {"run_id": run_id, "url": review_page.run_url(dag_id, run_id),
            "rows": summary_page.progress_rows(run)}


def _webhook_runs(dag_id: str, items: list[dict]) -> dict[str, tuple[str, str]]:
    """Items a webhook batch found carry that batch's run id (the webhooks DAG's run, with
    ".<n>" after its first batch): {run id: (webhooks DAG id, its Airflow run id)}."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from pco_sync.webhooks import settings as webhooks

    run_ids = {i["run_id"] for i in items if i.get("run_id")}
    if not run_ids:
        return {}
    first = {r: r.rsplit(".", 1)[0] for r in run_ids}
    webhooks_dag = webhooks.dag_id(_church(dag_id))
    with create_session() as session:
        known = set(session.scalars(select(DagRun.run_id).where(
            DagRun.dag_id == webhooks_dag, DagRun.run_id.in_(run_ids | set(first.values())))))
    return {r: (webhooks_dag, r if r in known else first[r]) for r in run_ids
            if r in known or first[r] in known}


def _may(dag_id: str, user, method: str, entity=None) -> bool:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails

    return get_auth_manager().is_authorized_dag(method=method, access_entity=entity,
                                                details=DagDetails(id=dag_id), user=user)


def _may_start_runs(dag_id: str, user) -> bool:
    return _may(dag_id, user, "POST", DagAccessEntity.RUN)


def _start_run(dag_id: str, user) -> str:
    """A manual run of `dag_id` as Airflow's own Trigger button makes it."""
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.exceptions import DagNotFound, DagRunAlreadyExists
    from airflow.utils.types import DagRunTriggeredByType

    try:
        run = trigger_dag(dag_id, triggered_by=DagRunTriggeredByType.UI,
                          triggering_user_name=user.get_name(), conf={})
    except (DagNotFound, DagRunAlreadyExists) as exc:
        raise HTTPException(409, str(exc)) from None
    return run.run_id
