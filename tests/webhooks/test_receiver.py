"""The receiver on its own (FastAPI's TestClient on the router; its Airflow parts replaced
by the test database): what it refuses, with nothing stored, and what it keeps once."""
from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pco_sync import limits
from pco_sync.airflow import webhooks_api
from webhook_helpers import PERSON_UPDATED, body, headers, person_record

SECRET = "s" * 64
EMAIL_SECRET = "e" * 64


@pytest.fixture
def app(db, db_url, monkeypatch):
    """(TestClient, woken asset names) for the default church with two subscriptions."""
    from pco_sync import church_db

    woken = []
    monkeypatch.setattr(webhooks_api, "_secrets", lambda church: {
        PERSON_UPDATED: SECRET, "people.v2.events.email.created": EMAIL_SECRET})
    monkeypatch.setattr(webhooks_api, "_church_db", lambda church: church_db.connect(db_url))
    monkeypatch.setattr(webhooks_api, "_wake", lambda church: woken.append(church.slug))
    api = FastAPI()
    api.include_router(webhooks_api.router(), prefix="/pco-sync")
    with TestClient(api) as client:
        yield client, woken


URL = "/pco-sync/webhooks/default"


def stored(db) -> int:
    db.commit()
    return db.execute("SELECT count(*) FROM sync.webhook_deliveries").fetchone()[0]


def test_a_signed_delivery_is_stored_and_wakes_the_dag(app, db):
    client, woken = app
    raw = body(PERSON_UPDATED, person_record("101", "Ann"))
    answer = client.post(URL, content=raw, headers=headers(raw, SECRET))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"stored": 1, "seen_before": 0}
    row = db.execute("SELECT name, pco_type, pco_id, payload -> 'data' ->> 'id', attempt, "
                     "processed_at FROM sync.webhook_deliveries").fetchone()
    assert row == (PERSON_UPDATED, "Person", "101", "101", 1, None)
    assert woken == ["default"]


@pytest.mark.parametrize("signature", [None, "", "nothex", "0" * 64, "A" * 63])
def test_a_missing_or_forged_signature_is_401_and_nothing_is_stored(app, db, signature):
    client, woken = app
    raw = body(PERSON_UPDATED, person_record("101"))
    sent = {"Content-Type": "application/json"}
    if signature is not None:
        sent["X-PCO-Webhooks-Authenticity"] = signature
    answer = client.post(URL, content=raw, headers=sent)
    assert answer.status_code == 401
    assert stored(db) == 0 and woken == []


def test_a_body_changed_after_signing_is_401(app, db):
    client, _ = app
    raw = body(PERSON_UPDATED, person_record("101", "Ann"))
    forged = raw.replace(b"Ann", b"Eve")
    assert client.post(URL, content=forged, headers=headers(raw, SECRET)).status_code == 401
    assert stored(db) == 0


def test_signed_with_another_events_secret_is_401(app, db):
    """PCO signs each event with its own subscription's secret: a person.updated delivery
    signed with the email.created secret is not PCO's."""
    client, woken = app
    raw = body(PERSON_UPDATED, person_record("101"))
    answer = client.post(URL, content=raw, headers=headers(raw, EMAIL_SECRET))
    assert answer.status_code == 401
    assert stored(db) == 0 and woken == []


def test_a_replayed_delivery_is_stored_once(app, db):
    client, woken = app
    raw = body(PERSON_UPDATED, person_record("101"), delivery_id="d-1")
    first = client.post(URL, content=raw, headers=headers(raw, SECRET))
    again = client.post(URL, content=raw, headers=headers(raw, SECRET))
    assert first.json() == {"stored": 1, "seen_before": 0}
    assert again.status_code == 200 and again.json() == {"stored": 0, "seen_before": 1}
    # PCO's retry: same delivery id, attempt 2 (signed anew)
    retry = body(PERSON_UPDATED, person_record("101"), delivery_id="d-1", attempt=2)
    assert client.post(URL, content=retry, headers=headers(retry, SECRET)).json()["stored"] == 0
    # another delivery id with the same idempotency token: the same event
    twin = body(PERSON_UPDATED, person_record("101"), delivery_id="d-2", token="d-1")
    assert client.post(URL, content=twin, headers=headers(twin, SECRET)).json()["stored"] == 0
    assert stored(db) == 1
    # still waiting, so every copy wakes the DAG: a retried delivery is never stranded
    assert woken == ["default"] * 4
    db.execute("UPDATE sync.webhook_deliveries SET processed_at = now()")
    db.commit()
    client.post(URL, content=raw, headers=headers(raw, SECRET))
    assert len(woken) == 4  # processed: nothing to wake for


def test_an_oversized_body_is_413_unread(app, db):
    client, woken = app
    raw = body(PERSON_UPDATED, person_record("101", "x" * limits.WEBHOOK_MAX_BODY_BYTES))
    answer = client.post(URL, content=raw, headers=headers(raw, SECRET))
    assert answer.status_code == 413
    # without a Content-Length (chunked): refused once the limit is passed
    chunks = (raw[i:i + 65536] for i in range(0, len(raw), 65536))
    answer = client.post(URL, content=chunks, headers=headers(raw, SECRET))
    assert answer.status_code == 413
    assert stored(db) == 0 and woken == []


@pytest.mark.parametrize("raw", [
    b"not json", b"[]", b'{"data": []}', b'{"data": [{"type": "Person", "id": "1"}]}',
    b'{"data": [{"id": "x", "type": "EventDelivery", "attributes": {"name": "a", "payload": "{no"}}]}',
    b'{"data": [{"id": "x", "type": "EventDelivery", "attributes": {"payload": "{}"}}]}',
    b'{"data": [{"type": "EventDelivery", "attributes": {"name": "a", "payload": "{}"}}]}',
])
def test_a_signed_malformed_body_is_400_and_nothing_is_stored(app, db, raw):
    client, woken = app
    answer = client.post(URL, content=raw, headers=headers(raw, SECRET))
    assert answer.status_code == 400, answer.text
    assert raw.decode()[:20] not in answer.json()["detail"] or len(raw) < 12
    assert stored(db) == 0 and woken == []


def test_an_unsigned_malformed_body_is_401_not_400(app, db):
    """Nothing is read of a body before its signature: a stranger learns nothing."""
    client, _ = app
    assert client.post(URL, content=b"not json").status_code == 401


def test_an_unknown_church_is_404_and_nothing_is_stored(app, db):
    client, woken = app
    raw = body(PERSON_UPDATED, person_record("101"))
    answer = client.post("/pco-sync/webhooks/grace", content=raw, headers=headers(raw, SECRET))
    assert answer.status_code == 404
    assert stored(db) == 0 and woken == []


def test_no_secrets_stored_refuses_everything(app, db, monkeypatch):
    client, _ = app
    monkeypatch.setattr(webhooks_api, "_secrets", lambda church: {})
    raw = body(PERSON_UPDATED, person_record("101"))
    assert client.post(URL, content=raw, headers=headers(raw, SECRET)).status_code == 401
    assert stored(db) == 0


def test_a_database_that_cannot_store_is_503_so_pco_retries(app, db, monkeypatch):
    client, woken = app

    def down(church):
        raise OSError("connection refused")
    monkeypatch.setattr(webhooks_api, "_church_db", down)
    raw = body(PERSON_UPDATED, person_record("101"))
    assert client.post(URL, content=raw, headers=headers(raw, SECRET)).status_code == 503
    assert woken == []


def test_no_secret_and_no_body_in_the_log(app, db, caplog):
    client, _ = app
    raw = body(PERSON_UPDATED, person_record("101", "Secretive"))
    client.post(URL, content=raw, headers=headers(raw, SECRET))
    client.post(URL, content=raw, headers=headers(raw, "x" * 64))
    assert SECRET not in caplog.text and "Secretive" not in caplog.text


def test_a_burst_wakes_the_dag_far_fewer_times_than_it_delivers(db, db_url, monkeypatch):
    """Asset events are coalesced, and one is always recorded after the last delivery was
    stored, so the run it wakes finds every delivery of the burst."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from webhook_helpers import receiver

    with receiver(db_url, monkeypatch) as r:
        r.secrets["default"] = {PERSON_UPDATED: SECRET}
        stored_at, woken_at = [], []
        monkeypatch.setattr(webhooks_api, "record_asset_event",
                            lambda name: (woken_at.append(time.monotonic()), r.woken.append(name)))

        def post(i):
            raw = body(PERSON_UPDATED, person_record(str(100 + i)))
            status = requests.post(r.url(), data=raw, headers=headers(raw, SECRET),
                                   timeout=10).status_code
            stored_at.append(time.monotonic())
            return status

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(post, range(40))) == {200}
        time.sleep(0.3)
        assert stored(db) == 40
        assert 1 <= len(r.woken) < 20 and set(r.woken) == {"pco_sync_webhooks__default"}
        assert max(woken_at) > max(stored_at) - 0.01  # the last event follows the last store
