"""Webhook deliveries in PCO's format, sent in the background.

Every create, update and destroy of a subscribed resource becomes an EventDelivery POST
signed with the subscription's authenticity secret (hex HMAC-SHA256 of the raw body).
Non-2xx answers are retried with a doubling backoff; 410 deactivates at once, as does
running out of attempts. Nothing here ever blocks an API request.
"""
from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from .schema import LATEST_VERSIONS, RESOURCES, WEBHOOK_RESOURCE_BY_TABLE
from .serialize import Renderer
from .store import Store


@dataclass(order=True)
class Delivery:
    due: float
    seq: int
    subscription_id: str = field(compare=False)
    name: str = field(compare=False)
    event_id: str = field(compare=False)
    payload: str = field(compare=False)
    event_time: str = field(compare=False)
    attempt: int = field(compare=False, default=1)


class WebhookDispatcher:
    def __init__(self, store: Store, base_url_getter, workers: int = 4):
        self.store = store
        self.base_url = base_url_getter
        self.queue: list[Delivery] = []
        self.cond = threading.Condition()
        self.seq = itertools.count()
        self.log: list[dict] = []  # every attempt, for the admin API and tests
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pco-webhook")
        self.http = requests.Session()
        self._stop = False
        self.thread = threading.Thread(target=self._run, name="pco-webhooks", daemon=True)
        self.thread.start()
        store.listeners.append(self.on_change)

    # ---- events -------------------------------------------------------------------------
    def on_change(self, action: str, table: str, rec: dict, changes: dict | None) -> None:
        if table not in WEBHOOK_RESOURCE_BY_TABLE:
            return
        app, resource = WEBHOOK_RESOURCE_BY_TABLE[table]
        name = f"{app}.v2.events.{resource}.{action}"
        subs = [s for s in self.store.tables["webhook_subscriptions"].values()
                if s.get("active") and s["name"] == name]
        if not subs:
            return
        res = RESOURCES[table]
        renderer = Renderer(self.store, self.base_url(), LATEST_VERSIONS[app])
        event_time = self.store.now_iso()
        if action == "destroyed":
            data = {"type": res.type, "id": rec["id"]}
            rels = renderer.resource(res, rec).get("relationships")
            if rels:
                data["relationships"] = rels
        else:
            data = renderer.resource(res, rec)
        for sub in subs:
            event_id = str(uuid.uuid4())
            payload = json.dumps({"data": data, "included": [], "meta": {
                "event_time": event_time, "idempotency_token": event_id}})
            self._enqueue(Delivery(time.monotonic(), next(self.seq), sub["id"], name,
                                   event_id, payload, event_time))

    def _enqueue(self, d: Delivery) -> None:
        with self.cond:
            heapq.heappush(self.queue, d)
            self.cond.notify()

    # ---- sending --------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self.cond:
                while not self._stop and (not self.queue or self.queue[0].due > time.monotonic()):
                    timeout = self.queue[0].due - time.monotonic() if self.queue else None
                    self.cond.wait(timeout)
                if self._stop:
                    return
                d = heapq.heappop(self.queue)
            self.pool.submit(self._send, d)

    def body(self, d: Delivery) -> bytes:
        org = self.store.config.organization_id
        return json.dumps({"data": [{
            "id": d.event_id, "type": "EventDelivery",
            "attributes": {"name": d.name, "attempt": d.attempt, "payload": d.payload},
            "relationships": {"organization": {"data": {"type": "Organization", "id": org}}},
        }]}).encode()

    def _send(self, d: Delivery) -> None:
        sub = self.store.tables["webhook_subscriptions"].get(d.subscription_id)
        if not sub or not sub.get("active"):
            return
        raw = self.body(d)
        signature = hmac.new(sub["authenticity_secret"].encode(), raw, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "PCO-Webhooks/2.0 (pco_simulator)",
            "X-PCO-Webhooks-Event-ID": d.event_id,
            "X-PCO-Webhooks-Event": d.name,
            "X-PCO-Webhooks-Name": d.name,
            "X-PCO-Webhooks-Event-Time": d.event_time,
            "X-PCO-Webhooks-Authenticity": signature,
        }
        try:
            status = self.http.post(sub["url"], data=raw, headers=headers, timeout=10).status_code
            error = None
        except requests.RequestException as exc:
            status, error = None, type(exc).__name__
        self.log.append({"event_id": d.event_id, "name": d.name, "attempt": d.attempt,
                         "subscription_id": sub["id"], "status": status, "error": error})
        if status is not None and 200 <= status < 300:
            return
        cfg = self.store.config
        if status == 410 or d.attempt >= cfg.webhook_max_attempts:
            with self.store.lock:
                self.store.update("webhook_subscriptions", sub["id"], {"active": False},
                                  emit=False)
            return
        delay = cfg.webhook_retry_base * (2 ** (d.attempt - 1)) * cfg.time_scale
        self._enqueue(Delivery(time.monotonic() + delay, next(self.seq), d.subscription_id,
                               d.name, d.event_id, d.payload, d.event_time, d.attempt + 1))

    def pending(self) -> int:
        with self.cond:
            return len(self.queue)

    def stop(self) -> None:
        with self.cond:
            self._stop = True
            self.cond.notify_all()
        if self.on_change in self.store.listeners:
            self.store.listeners.remove(self.on_change)
        self.pool.shutdown(wait=False, cancel_futures=True)
