"""The inbox (sync.webhook_deliveries, migration 074): deliveries as the receiver stores
them, and the drain's claim, done and failed.

A request body is PCO's JSON:API document {"data": [EventDelivery, ...]}; each
EventDelivery's attributes.payload is the changed record as a JSON *string* (parsed a
second time here). A delivery keeps its EventDelivery id on every retry, and its payload
carries an idempotency token: either seen before, the delivery is not stored again.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import psycopg

from pco_sync import limits, sqlfiles
from pco_sync.errors import MalformedDelivery

MAX_ID_CHARS = 200  # longer ids are not PCO's (a uuid is 36)


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    name: str
    attempt: int | None
    token: str | None       # payload meta.idempotency_token
    event_time: str | None  # payload meta.event_time
    pco_type: str | None    # the payload's record
    pco_id: str | None
    payload: dict


@dataclass(frozen=True)
class Claimed:
    """A stored delivery the drain is about to process."""

    id: int
    name: str
    pco_type: str | None
    pco_id: str | None
    payload: dict


def parse(body: bytes) -> list[Delivery]:
    """The deliveries of a request body; MalformedDelivery says what is wrong."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedDelivery("the body is not JSON") from None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list) or not data:
        raise MalformedDelivery('expected {"data": [EventDelivery, ...]}')
    return [_delivery(item, i) for i, item in enumerate(data)]


def _delivery(item, i: int) -> Delivery:
    where = f"data[{i}]"
    if not isinstance(item, dict) or item.get("type") != "EventDelivery":
        raise MalformedDelivery(f"{where} is not an EventDelivery")
    delivery_id = _text(item.get("id"))
    if delivery_id is None or len(delivery_id) > MAX_ID_CHARS:
        raise MalformedDelivery(f"{where} has no usable id")
    attrs = item.get("attributes")
    if not isinstance(attrs, dict):
        raise MalformedDelivery(f"{where} has no attributes")
    name = _text(attrs.get("name"))
    if name is None or len(name) > MAX_ID_CHARS:
        raise MalformedDelivery(f"{where} has no event name")
    raw = attrs.get("payload")
    try:
        payload = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise MalformedDelivery(f"{where}: attributes.payload is not a JSON object in a string")
    attempt = attrs.get("attempt")
    meta = payload.get("meta") if isinstance(payload.get("meta"), dict) else {}
    record = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    return Delivery(delivery_id, name,
                    attempt if isinstance(attempt, int) and not isinstance(attempt, bool) else None,
                    _text(meta.get("idempotency_token")), _text(meta.get("event_time")),
                    _text(record.get("type")), _text(record.get("id")), _clean(payload))


def _text(value) -> str | None:
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _clean(value):
    """jsonb refuses NUL and unpaired surrogates, which a broken payload may hold: those
    characters become U+FFFD (as extract.staging does for records)."""
    if isinstance(value, str):
        if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
            return "".join("\ufffd" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch
                           for ch in value)
        return value
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def store(conn: psycopg.Connection, deliveries: list[Delivery]) -> tuple[int, int]:
    """Store the deliveries not seen before (one transaction, committed): (new, waiting),
    waiting being those seen before that are not processed yet."""
    params = {"delivery_ids": [d.delivery_id for d in deliveries],
              "tokens": [d.token for d in deliveries], "names": [d.name for d in deliveries],
              "types": [d.pco_type for d in deliveries], "ids": [d.pco_id for d in deliveries],
              "event_times": [d.event_time for d in deliveries],
              "attempts": [d.attempt for d in deliveries],
              "payloads": [json.dumps(d.payload, separators=(",", ":")) for d in deliveries]}
    with conn.transaction():
        new, waiting = conn.execute(sqlfiles.read("webhooks/store.sql"), params).fetchone()
    return int(new), int(waiting)


def claim(conn: psycopg.Connection, limit: int) -> list[Claimed]:
    """Up to `limit` pending deliveries that are due (new before retried, oldest first)."""
    with conn.transaction():
        rows = conn.execute(sqlfiles.read("webhooks/claim.sql"), {"limit": limit}).fetchall()
    return [Claimed(int(i), name, typ, pid, payload) for i, name, typ, pid, payload in rows]


def done(conn: psycopg.Connection, outcomes: dict[int, str]) -> int:
    """Mark deliveries processed by this session's run, inside the caller's transaction."""
    ids = sorted(outcomes)
    return conn.execute(sqlfiles.read("webhooks/done.sql"),
                        {"ids": ids, "outcomes": [outcomes[i] for i in ids]}).rowcount


def failed(conn: psycopg.Connection, ids: list[int], error: str) -> None:
    """Leave deliveries pending, tried again after a pause, with the error (committed)."""
    with conn.transaction():
        conn.execute(sqlfiles.read("webhooks/failed.sql"), {"ids": ids, "error": error[:2000]})


def backlog(conn: psycopg.Connection) -> dict:
    """{waiting, oldest, oldest_seconds, failing, last_error} of the pending deliveries."""
    with conn.transaction():
        waiting, oldest, age, failing, last_error = conn.execute(
            sqlfiles.read("webhooks/backlog.sql")).fetchone()
    return {"waiting": int(waiting), "oldest": oldest, "oldest_seconds": float(age),
            "failing": int(failing), "last_error": last_error}


def building_up(backlog: dict) -> bool:
    """Whether the backlog is one staff should hear of: deliveries that failed, or that have
    waited longer than the freshness webhooks promise (limits.WEBHOOK_BACKLOG_SECONDS)."""
    return bool(backlog["waiting"]) and (
        backlog["failing"] > 0 or backlog["oldest_seconds"] > limits.WEBHOOK_BACKLOG_SECONDS)
