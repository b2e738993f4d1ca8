"""Connect with Planning Center (issue 21, docs/connecting.md): the pages that connect a church
by OAuth, mounted by the plugin in Airflow's API server.

GET /pco-sync/connect/{dag_id}
    For an Airflow user who may edit the church's DAG: a new state (random, single use, ten
    minutes, bound to the church and the user; only its SHA-256 is kept, in the church
    database: sync.pco_oauth_states) and a redirect to PCO's /oauth/authorize with the
    deployment's OAuth application (the pco connection's `oauth_app_conn_id`), this server's
    callback as redirect_uri and the scopes the church's resources need. A navigation (a
    link, so no Origin check), but a Referer naming another site is refused. The church
    database gets its pending migrations first, as a run's first task would: a church in
    OAuth mode must be connected before its first run can read PCO.
GET /pco-sync/oauth/callback?code&state (or ?error&state)
    Where PCO sends the person back. The state is the request's CSRF protection: it must be
    one this server issued, unused, unexpired, for the logged-in user, who must still have
    edit access. The code is exchanged, the organization and the approving person read with
    the new token (from the church's PCO connection's base URL, where runs will use it); an
    organization other than the one the church was connected to before, or than the
    `organization_id` in its pco connection's extra, is refused and nothing is stored; else
    TokenStore.connected stores the tokens (encrypted) and the page shows what was granted.

Tokens never reach a page, a log line or an error message here (Grant's repr hides them).
Whether the church's runs use the tokens is its pco connection's `auth_mode`; these pages do
not change connections (one may come from the environment or a secrets backend, and a
connection is Airflow's to edit, under its own permission): the page says how to switch.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from contextlib import closing
from urllib.parse import urlsplit

from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

log = logging.getLogger(__name__)

STATE_SECONDS = 600
CALLBACK = "/oauth/callback"
NAV_PAGE = "/plugin/pco-sync"  # the PCO Sync page inside Airflow's UI
TIMEOUT = (5, 30)


# ---- what a church needs and has ---------------------------------------------------------

def scopes_needed(church) -> list[str]:
    """The PCO scopes of what the church syncs (its pco_sync_resources Variable, else its
    churches.yaml entry, else everything): people always, then the products of its
    resources' streams (groups, services for teams, calendar for events)."""
    from airflow.models.variable import Variable

    from pco_sync.airflow.tasks import RESOURCES_VARIABLE
    from pco_sync.errors import SettingsError
    from pco_sync.pco import resources
    from pco_sync.pco.oauth import SCOPES, scope_of

    name = church.variable(RESOURCES_VARIABLE)
    synced = list(church.resources or resources.RESOURCES)
    value = Variable.get(name, default_var=None)
    if value:
        try:
            synced = resources.names(value, name)
        except SettingsError:
            pass  # the runs say why the Variable is broken; ask for what the entry needs
    needed = {"people"} | {scope_of(resources.stream(s).path)
                           for r in synced for s in resources.resource(r).streams}
    return [s for s in SCOPES if s in needed]


def _hook(church):
    from pco_sync.airflow.hooks import PcoHook

    return PcoHook(church.pco_conn_id, church)


def _store(church):
    """The church's TokenStore (no OAuth application needed: nothing is refreshed here)."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from pco_sync.pco.tokens import TokenStore

    db = church.church_db_conn_id
    return TokenStore(lambda: PostgresHook(postgres_conn_id=db).get_conn(), church.slug)


def connection(church, url_prefix: str) -> dict:
    """What the PCO Sync page says of the church's Planning Center connection: how its runs
    sign in (auth_mode of its pco connection; "" when the connection cannot be read), its
    OAuth connection (TokenStore.status(), None: never connected or no table yet), the
    connect page."""
    import psycopg

    from pco_sync.airflow.provider import AUTH_PERSONAL
    from pco_sync.errors import PcoError

    hook, mode, problem = _hook(church), "", None
    try:
        mode = hook.auth_mode(hook.get_connection(church.pco_conn_id))
    except PcoError as exc:
        problem = str(exc)
    except Exception as exc:  # noqa: BLE001 - a missing connection: the page says so
        problem = f"connection {church.pco_conn_id}: {type(exc).__name__}: {exc}"
    status = None
    try:
        status = _store(church).status()
    except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
        pass  # the church database has not been prepared yet (no run, no connect)
    except psycopg.Error as exc:
        problem = problem or f"the church database could not be read: {type(exc).__name__}"
    return {"conn_id": church.pco_conn_id, "mode": mode, "personal": mode == AUTH_PERSONAL,
            "status": status, "problem": problem, "dag_id": church.dag_id,
            "connect_url": connect_url(url_prefix, church.dag_id)}


def callback_url(request: Request, url_prefix: str) -> str:
    """This API server's callback as the browser reaches it (scheme and host of the request,
    behind a proxy as the proxy's forwarded headers say when uvicorn trusts them)."""
    root = str(request.base_url).rstrip("/")
    if not root.endswith(url_prefix):  # the mount's prefix, unless the base URL has it
        root += url_prefix
    return root + CALLBACK


def connect_url(url_prefix: str, dag_id: str) -> str:
    return f"{url_prefix}/connect/{dag_id}"


# ---- the routes ---------------------------------------------------------------------------

def _sha(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _church(dag_id: str):
    from pco_sync import churches

    church = churches.by_dag_id(dag_id)
    if church is None:
        raise HTTPException(404, f"{dag_id} is not the sync DAG of a church of this deployment")
    return church


def _db(church):
    from pco_sync.airflow.tasks import church_db

    return closing(church_db(church.church_db_conn_id))


def _not_from_another_site(request: Request) -> None:
    """Connect is a link (no Origin); a Referer, when the browser sends one, must be ours."""
    referer = request.headers.get("referer") or ""
    own = {h.strip().lower() for h in (request.headers.get("host", ""),
                                       request.headers.get("x-forwarded-host", ""))
           if h.strip()}
    if referer and urlsplit(referer).netloc.lower() not in own:
        raise HTTPException(403, "refused: this request did not come from this deployment's "
                                 "own pages (its Referer names another site)")


def _may_edit(dag_id: str, user) -> bool:
    """The check of requires_access_dag("PUT"), for a route whose DAG is in its state."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails

    return get_auth_manager().is_authorized_dag(method="PUT", details=DagDetails(id=dag_id),
                                                user=user)


def _page(status: int, outcome: str, **values) -> HTMLResponse:
    from pco_sync.airflow import templates

    values.setdefault("church", None)
    values.setdefault("connection", None)
    values.setdefault("message", "")
    values.setdefault("again_url", None)
    values.setdefault("missing", [])
    return HTMLResponse(templates.render("connect_result.html", outcome=outcome,
                                         home=NAV_PAGE, **values),
                        status_code=status, headers={"Cache-Control": "no-store"})


def router(url_prefix: str) -> APIRouter:
    api = APIRouter()
    # The Referer first: a link planted on another site is refused before anything else.
    edit = [Depends(_not_from_another_site), Depends(requires_access_dag("PUT"))]

    @api.get("/connect/{dag_id}", dependencies=edit)
    def connect(dag_id: str, request: Request, user: GetUserDep) -> Response:
        from pco_sync import church_db as database
        from pco_sync import sqlfiles
        from pco_sync.errors import MigrationError, PcoError

        church = _church(dag_id)
        try:
            app = _hook(church).oauth_app()
        except Exception as exc:  # noqa: BLE001 - a missing or half-filled connection
            return _page(409, "no_app", church=church, message=(
                f"This deployment has no OAuth application to connect with: {exc}. "
                "docs/connecting.md says how to register one with Planning Center and "
                "store it as a connection."))
        scopes = scopes_needed(church)
        redirect_uri = callback_url(request, url_prefix)
        # The church's slug leads the callback to the church database holding the state.
        state = f"{church.slug}.{secrets.token_urlsafe(32)}"
        with _db(church) as conn:
            try:
                database.apply_migrations(conn)  # what the first run would do; usually nothing
            except MigrationError as exc:
                raise HTTPException(409, str(exc)) from None
            conn.execute(sqlfiles.read("oauth/state_new.sql"), {
                "state_sha256": _sha(state), "church": church.slug,
                "airflow_user": user.get_name(), "redirect_uri": redirect_uri,
                "scopes": scopes, "seconds": STATE_SECONDS})
            conn.commit()
        log.info("church %r: %s starts connecting with Planning Center (scopes %s)",
                 church.slug, user.get_name(), " ".join(scopes))
        return RedirectResponse(app.authorize_url(redirect_uri, scopes, state), status_code=302,
                                headers={"Cache-Control": "no-store"})

    @api.get(CALLBACK, name="pco_oauth_callback")
    def callback(user: GetUserDep, code: str | None = None, state: str | None = None,
                 error: str | None = None, error_description: str | None = None) -> Response:
        from pco_sync import churches, sqlfiles

        slug = (state or "").split(".", 1)[0]
        church = churches.by_slug(slug) if "." in (state or "") else None
        unknown = _page(400, "bad_state", message=(
            "This answer from Planning Center does not belong to a connection started here, "
            "or it was used already or is more than ten minutes old. Nothing was stored. "
            "Start again with Connect on the PCO Sync page."))
        if church is None:
            return unknown
        with _db(church) as conn:
            try:
                row = conn.execute(sqlfiles.read("oauth/state_take.sql"),
                                   {"state_sha256": _sha(state)}).fetchone()
                conn.commit()
            except Exception as exc:  # noqa: BLE001 - no states table: never started here
                log.warning("church %r: OAuth callback without a states table (%s)",
                            church.slug, type(exc).__name__)
                row = None
        if row is None or row[0] != church.slug or row[4]:
            return unknown
        _, started_by, redirect_uri, asked, _ = row
        again = connect_url(url_prefix, church.dag_id)
        if started_by != user.get_name():
            return _page(403, "other_user", church=church, again_url=again, message=(
                f"This connection was started by another Airflow user ({started_by}); only "
                "they can finish it. Nothing was stored."))
        if not _may_edit(church.dag_id, user):
            return _page(403, "other_user", church=church, message=(
                f"You may no longer edit {church.dag_id}: nothing was stored."))
        if error:
            said = "declined" if error == "access_denied" else f"answered {error}"
            if error_description and error != "access_denied":
                said += f": {error_description}"
            return _page(200, "denied", church=church, again_url=again, message=(
                f"Planning Center {said}. {church.name} was not connected and nothing "
                "changed."))
        if not code:
            return unknown
        return _finish(church, user.get_name(), code, redirect_uri, list(asked), again,
                       url_prefix)

    return api


def _finish(church, who: str, code: str, redirect_uri: str, asked: list[str], again: str,
            url_prefix: str) -> HTMLResponse:
    """Exchange the code, check the organization, store the tokens, show what was granted."""
    from pco_sync.errors import PcoError
    from pco_sync.pco.oauth import OAuthError

    hook = _hook(church)
    try:
        pco_conn = hook.get_connection(church.pco_conn_id)
        grant = hook.oauth_app(pco_conn).exchange(code, redirect_uri)
    except OAuthError as exc:
        return _page(502, "pco_failed", church=church, again_url=again, message=(
            f"Planning Center did not give tokens for the approval: {exc.detail}. Nothing "
            "was stored; connect again."))
    except PcoError as exc:
        return _page(409, "no_app", church=church, message=str(exc))
    base = hook.base_url(pco_conn)
    try:
        org = _get(base, "/people/v2", grant.access_token)
        me = _get(base, "/people/v2/me", grant.access_token)
    except PcoError as exc:
        return _page(502, "pco_failed", church=church, again_url=again, message=(
            f"The new tokens do not work at {base} ({exc}): the OAuth application's "
            f"connection and {church.pco_conn_id} must point at the same Planning Center. "
            "Nothing was stored."))
    org_id, org_name = str(org.get("id") or ""), org.get("attributes", {}).get("name")
    store = _store(church)
    expected = hook.extra(pco_conn, "organization_id")
    before = (store.status() or {}).get("organization_id")
    for wanted, why in ((expected, f"the organization_id in the connection "
                                   f"{church.pco_conn_id}"),
                        (before, "the organization it was connected to before")):
        if wanted and str(wanted) != org_id:
            log.warning("church %r: connecting to PCO organization %s refused: %s is %s",
                        church.slug, org_id, why, wanted)
            return _page(409, "wrong_organization", church=church, again_url=again, message=(
                f"Refused: the person approved for the PCO organization {org_name or '?'} "
                f"({org_id}), but {church.name} belongs to the PCO organization {wanted} "
                f"({why}). Nothing was stored; the church's connection is as it was. Sign in "
                f"to Planning Center as someone of organization {wanted} and connect again "
                "(or, if the church really moved, an administrator clears the old "
                "organization first: docs/connecting.md)."))
    attrs = me.get("attributes", {})
    person_name = attrs.get("name") or " ".join(
        p for p in (attrs.get("first_name"), attrs.get("last_name")) if p) or None
    store.connected(grant, organization_id=org_id, organization_name=org_name,
                    pco_person_id=str(me.get("id") or "") or None,
                    pco_person_name=person_name, connected_by=who)
    log.info("church %r connected with Planning Center by %s: organization %s, scopes %s",
             church.slug, who, org_id, " ".join(grant.scopes))
    conn = connection(church, url_prefix)
    missing = [s for s in asked if s not in grant.scopes]
    return _page(200, "connected", church=church, connection=conn, missing=missing,
                 again_url=again)


def _get(base: str, path: str, token: str) -> dict:
    """One PCO document's data, read with the new access token (never in an error)."""
    import requests  # here: every Airflow component loads the plugin, few connect a church

    from pco_sync.errors import PcoError

    try:
        resp = requests.get(base + path, timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {token}",
                                     "Accept": "application/json"})
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise PcoError(f"no answer from {base}: {type(exc).__name__}", endpoint=path) from None
    if resp.status_code != 200:
        raise PcoError(f"GET {path} answered HTTP {resp.status_code}",
                       status=resp.status_code, endpoint=path)
    return (resp.json() or {}).get("data") or {}
