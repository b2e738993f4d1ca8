"""The PCO webhook receiver, mounted by the plugin in Airflow's API server:
POST /pco-sync/webhooks/{church slug} (`default` without churches.yaml).

PCO cannot log in to Airflow, so this route is not behind Airflow's auth: it is behind
PCO's signature instead (pco_sync.webhooks.verify), checked against the church's
subscription secrets before anything else is read of the body. Each answer:

- 404: no church of that slug; 413: a body over limits.WEBHOOK_MAX_BODY_BYTES (refused
  unread); 401: no valid signature, or one made with another event's secret; 400: a signed
  body that is not PCO's EventDelivery JSON; 503: the church database or the secrets cannot
  be used right now (PCO retries). Nothing is stored with any of these.
- 200: every delivery of the body is in the church's inbox (sync.webhook_deliveries), once
  however often PCO sends it. The answer comes at once: no PCO call and no merge happens
  in the request. An Airflow asset event then wakes the church's pco_sync_webhooks DAG.

Asset events are coalesced: a burst of deliveries records one event per ASSET_EVENT_DELAY,
recorded after the last of them is stored, so the DAG run it wakes finds them all. Should
the API server stop before that event is recorded, the DAG's hourly run drains what waits.
Neither a body nor a secret is ever logged.
"""
from __future__ import annotations

import logging
import threading
from contextlib import closing

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from pco_sync import churches, limits
from pco_sync.errors import MalformedDelivery, SettingsError
from pco_sync.webhooks import inbox, settings, verify

log = logging.getLogger(__name__)

ASSET_EVENT_DELAY = 0.2  # seconds: how long a burst's deliveries share one asset event
UNSIGNED = "missing or invalid X-PCO-Webhooks-Authenticity signature"


def router() -> APIRouter:
    api = APIRouter()

    @api.post(settings.RECEIVER_PATH, include_in_schema=False)
    async def receive(slug: str, request: Request) -> JSONResponse:
        try:
            church = await run_in_threadpool(churches.by_slug, slug)
        except SettingsError:
            log.exception("webhook for %r refused: the churches file cannot be read", slug)
            return _answer(503, "the deployment's churches cannot be read; try again later")
        if church is None:
            return _answer(404, f"no church {slug!r} here")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.WEBHOOK_MAX_BODY_BYTES:
            return _too_large()
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limits.WEBHOOK_MAX_BODY_BYTES:
                return _too_large()
        return await run_in_threadpool(accept, church, bytes(body),
                                       request.headers.get(verify.HEADER))

    return api


def accept(church: churches.Church, body: bytes, signature: str | None) -> JSONResponse:
    """Verify, parse and store one request's body (in a worker thread)."""
    try:
        secrets = _secrets(church)
    except SettingsError as exc:
        log.error("webhook for %s refused: %s", church.slug, exc)
        return _answer(503, "the receiver's secrets cannot be read; try again later")
    if not secrets:
        log.warning("webhook for %s refused: no subscription secrets in %s (run %s)",
                    church.slug, settings.secrets_variable(church),
                    settings.subscriptions_dag_id(church))
    names = verify.signed_names(secrets, body, signature)
    if not names:
        return _answer(401, UNSIGNED)
    try:
        deliveries = inbox.parse(body)
    except MalformedDelivery as exc:
        return _answer(400, str(exc))
    if any(d.name not in names for d in deliveries):
        # Signed, but by the subscription of another event: not what PCO would send.
        return _answer(401, UNSIGNED)
    try:
        with closing(_church_db(church)) as conn:
            new, waiting = inbox.store(conn, deliveries)
    except Exception as exc:  # the database is down or not migrated yet: PCO retries
        log.error("webhook for %s not stored (%s): %s", church.slug, type(exc).__name__,
                  str(exc).splitlines()[0][:300] if str(exc) else "")
        return _answer(503, "the delivery could not be stored; try again later")
    if new or waiting:
        _wake(church)
    log.info("webhook for %s: %d deliveries stored, %d seen before", church.slug, new,
             len(deliveries) - new)
    return JSONResponse({"stored": new, "seen_before": len(deliveries) - new})


def _answer(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _too_large() -> JSONResponse:
    return _answer(413, f"the body is over {limits.WEBHOOK_MAX_BODY_BYTES} bytes")


def _secrets(church: churches.Church) -> dict[str, str]:
    from airflow.models.variable import Variable

    name = settings.secrets_variable(church)
    secrets = settings.parse_secrets(Variable.get(name, default_var=None), name)
    _mask(secrets.values())
    return secrets


def _mask(values) -> None:
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - an Airflow without the SDK's masker
        return
    for value in values:
        mask_secret(value)


def _church_db(church: churches.Church):
    from pco_sync.airflow.tasks import church_db

    return church_db(church.church_db_conn_id)


# ---- asset events, coalesced -----------------------------------------------------------------
_pending: set[str] = set()
_lock = threading.Lock()


def _wake(church: churches.Church) -> None:
    """Record an asset event for the church soon, unless one is already on its way (it is
    recorded after this delivery was stored, so the run it wakes sees this delivery)."""
    name = settings.asset_name(church)
    with _lock:
        if name in _pending:
            return
        _pending.add(name)
    timer = threading.Timer(ASSET_EVENT_DELAY, _record, (name,))
    timer.daemon = True
    timer.start()


def _record(name: str) -> None:
    with _lock:  # cleared first: a delivery stored from now on schedules the next event
        _pending.discard(name)
    try:
        record_asset_event(name)
    except Exception:
        log.exception("asset event %s not recorded; the webhooks DAG's hourly run will drain "
                      "what waits", name)


def record_asset_event(name: str) -> None:
    """An asset event for `name`, as Airflow's own REST API records one (POST
    /api/v2/assets/events): the asset manager queues a run of every DAG scheduled on it."""
    from airflow.assets.manager import asset_manager
    from airflow.serialization.definitions.assets import SerializedAssetUniqueKey
    from airflow.utils.session import create_session

    with create_session() as session:
        event = asset_manager.register_asset_change(
            asset=SerializedAssetUniqueKey(name=name, uri=name), extra={"from": "pco webhook"},
            session=session)
    if event is None:
        log.warning("asset %s is not known to Airflow yet (is the webhooks DAG parsed?); the "
                    "deliveries wait in the inbox", name)
