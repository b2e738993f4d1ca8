"""Helpers the webhook tests share: PCO-shaped delivery bodies and their signatures, the
receiver's router served over real HTTP (so the simulator can deliver to it) with its
Airflow parts (the secrets Variable, the church_db connection, the asset event) replaced by
the test database and in-memory stand-ins, and the drain as the DAG's task runs it."""
from __future__ import annotations

import json
import threading
import time
import uuid
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from pco_sync import church_db
from pco_sync.airflow import webhooks_api
from pco_sync.webhooks import verify
from servers import free_port

PERSON_UPDATED = "people.v2.events.person.updated"


def body(name: str, record: dict, *, delivery_id: str | None = None, token: str | None = None,
         attempt: int = 1) -> bytes:
    """An EventDelivery body as PCO sends it (payload: the record as a JSON string)."""
    delivery_id = delivery_id or str(uuid.uuid4())
    payload = {"data": record, "included": [],
               "meta": {"event_time": "2026-11-20T10:00:00Z",
                        "idempotency_token": token or delivery_id}}
    return json.dumps({"data": [{
        "id": delivery_id, "type": "EventDelivery",
        "attributes": {"name": name, "attempt": attempt, "payload": json.dumps(payload)},
        "relationships": {"organization": {"data": {"type": "Organization", "id": "1"}}},
    }]}).encode()


def person_record(pco_id: str, first: str = "Ann") -> dict:
    return {"type": "Person", "id": pco_id, "attributes": {"first_name": first}}


def headers(raw: bytes, secret: str | None) -> dict:
    out = {"Content-Type": "application/json"}
    if secret is not None:
        out[verify.HEADER] = verify.signature(secret, raw)
    return out


class Receiver:
    """The receiver's router on a free port, its Airflow parts replaced: secrets (by church
    slug), the church database (db_url) and asset events (recorded in `woken`)."""

    def __init__(self, db_url: str, monkeypatch):
        self.db_url = db_url
        self.secrets: dict[str, dict[str, str]] = {}
        self.woken: list[str] = []
        monkeypatch.setattr(webhooks_api, "_secrets",
                            lambda church: dict(self.secrets.get(church.slug, {})))
        monkeypatch.setattr(webhooks_api, "_church_db",
                            lambda church: church_db.connect(self.db_url))
        monkeypatch.setattr(webhooks_api, "record_asset_event", self.woken.append)
        monkeypatch.setattr(webhooks_api, "ASSET_EVENT_DELAY", 0.05)
        self.app = FastAPI()
        self.app.include_router(webhooks_api.router(), prefix="/pco-sync")
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the test receiver did not start"
            time.sleep(0.02)

    def url(self, slug: str = "default") -> str:
        return f"http://127.0.0.1:{self.port}/pco-sync/webhooks/{slug}"

    def subscribe(self, sim, client, names=None, slug: str = "default"):
        """The simulator subscribed to this receiver as the subscriptions DAG does it."""
        from pco_sync.webhooks import events, subscriptions

        done = subscriptions.ensure(client, self.url(slug), list(names or events.EVENTS))
        self.secrets[slug] = dict(done.secrets)
        return done

    def close(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@contextmanager
def receiver(db_url: str, monkeypatch):
    r = Receiver(db_url, monkeypatch)
    try:
        yield r
    finally:
        r.close()


def wait_for_deliveries(db, n: int, timeout: float = 20.0, **where) -> int:
    """Wait until the inbox holds at least n deliveries (optionally of one event name)."""
    query = "SELECT count(*) FROM sync.webhook_deliveries"
    args = []
    if "name" in where:
        query += " WHERE name = %s"
        args.append(where["name"])
    deadline = time.monotonic() + timeout
    while True:
        db.commit()
        got = db.execute(query, args).fetchone()[0]
        if got >= n:
            return got
        assert time.monotonic() < deadline, f"{got} of {n} deliveries arrived in {timeout} s"
        time.sleep(0.05)


def drain(db_url: str, client, run_id: str, synced=("people", "households", "groups"),
          **kw):
    """The drain task's work, without Airflow: what process.drain returns."""
    from pco_sync.webhooks import process

    with church_db.connect(db_url) as conn:
        return process.drain(conn, client, run_id, list(synced), **kw)
