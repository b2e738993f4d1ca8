"""Webhook deliveries in PCO's format to a real local receiver: EventDelivery bodies with a
string payload, the X-PCO-Webhooks-* headers, the HMAC signature over the raw body,
created/updated/destroyed events from the API and from staff (admin API), retries with
the same event id, 410 deactivation, non-blocking delivery and the available events."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import yaml

from pco_simulator import SimConfig, Simulator
from pco_simulator.schema import WEBHOOK_EVENT_NAMES

CREATED = "people.v2.events.person.created"
UPDATED = "people.v2.events.person.updated"
DESTROYED = "people.v2.events.person.destroyed"
WEBHOOK_HEADERS = ("X-PCO-Webhooks-Event-ID", "X-PCO-Webhooks-Event", "X-PCO-Webhooks-Name",
                   "X-PCO-Webhooks-Event-Time", "X-PCO-Webhooks-Authenticity")


class Receiver:
    """A tiny webhook endpoint: records every POST (raw body, headers, path) and answers
    from a per-path plan of status codes (200 once the plan runs out)."""

    def __init__(self, plan: dict[str, list[int]] | None = None, delay: float = 0.0):
        self.plan = {k: list(v) for k, v in (plan or {}).items()}
        self.delay = delay
        self.hits: list[dict] = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.cond:
                    receiver.hits.append({"path": self.path, "raw": raw,
                                          "headers": dict(self.headers.items()),
                                          "at": time.monotonic()})
                    statuses = receiver.plan.get(self.path) or []
                    status = statuses.pop(0) if statuses else 200
                    receiver.cond.notify_all()
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def wait_for(self, n: int, path: str | None = None, timeout: float = 10.0) -> list[dict]:
        def mine():
            return [h for h in self.hits if path is None or h["path"] == path]
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(mine()) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {n} deliveries to {path or 'any path'}, "
                                         f"got {len(mine())}")
                self.cond.wait(left)
            return mine()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def subscribe(sim, name: str, url: str) -> tuple[str, str]:
    r = requests.post(sim.url + "/webhooks/v2/webhook_subscriptions", auth=sim.auth,
                      json={"data": {"attributes": {"name": name, "url": url}}})
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["type"] == "WebhookSubscription"
    assert data["attributes"]["active"] is True
    secret = data["attributes"]["authenticity_secret"]
    assert isinstance(secret, str) and len(secret) >= 32
    return data["id"], secret


def create_person(sim, first: str = "Ada", last: str = "Lovelace") -> dict:
    r = requests.post(sim.url + "/people/v2/people", auth=sim.auth,
                      json={"data": {"attributes": {"first_name": first, "last_name": last}}})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def delivery(hit: dict) -> tuple[dict, dict]:
    """The EventDelivery and its payload parsed a second time."""
    body = json.loads(hit["raw"])
    assert list(body) == ["data"] and len(body["data"]) == 1
    event = body["data"][0]
    assert isinstance(event["attributes"]["payload"], str)
    return event, json.loads(event["attributes"]["payload"])


def signed_by(hit: dict, secret: str) -> bool:
    expected = hmac.new(secret.encode(), hit["raw"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, hit["headers"]["X-PCO-Webhooks-Authenticity"])


def slow_sim(**cfg) -> Simulator:
    return Simulator(SimConfig(rate_limit=100_000, **cfg))


# ---- the delivery ----------------------------------------------------------------------------
def test_person_created_delivers_one_event_delivery(sim, receiver):
    _, secret = subscribe(sim, CREATED, receiver.url())
    person = create_person(sim)
    [hit] = receiver.wait_for(1)
    event, payload = delivery(hit)

    assert event["type"] == "EventDelivery"
    assert event["id"]
    assert event["attributes"]["name"] == CREATED
    assert event["attributes"]["attempt"] == 1
    assert event["relationships"]["organization"]["data"] == {
        "type": "Organization", "id": sim.config.organization_id}

    assert payload["data"]["type"] == "Person"
    assert payload["data"]["id"] == person["id"]
    assert payload["data"]["attributes"]["first_name"] == "Ada"
    assert payload["data"]["attributes"]["last_name"] == "Lovelace"
    assert payload["meta"]["event_time"]
    assert payload["meta"]["idempotency_token"]

    headers = hit["headers"]
    for h in WEBHOOK_HEADERS:
        assert headers.get(h), (h, headers)
    assert headers["X-PCO-Webhooks-Event-ID"] == event["id"]
    assert headers["X-PCO-Webhooks-Name"] == CREATED
    assert headers["X-PCO-Webhooks-Event"] == CREATED
    assert headers["X-PCO-Webhooks-Event-Time"] == payload["meta"]["event_time"]
    assert headers["Content-Type"].startswith("application/json")
    assert hit["path"] == "/hook"

    assert signed_by(hit, secret)
    assert not signed_by(hit, "not-the-secret")
    assert not signed_by({**hit, "raw": hit["raw"] + b" "}, secret)  # exact raw bytes only


def test_updated_and_destroyed_events(sim, receiver):
    _, up_secret = subscribe(sim, UPDATED, receiver.url("/updated"))
    _, gone_secret = subscribe(sim, DESTROYED, receiver.url("/destroyed"))
    person = create_person(sim)
    pid = person["id"]

    r = requests.patch(sim.url + f"/people/v2/people/{pid}", auth=sim.auth,
                       json={"data": {"attributes": {"first_name": "Augusta"}}})
    assert r.status_code == 200
    [up] = receiver.wait_for(1, "/updated")
    event, payload = delivery(up)
    assert event["attributes"]["name"] == UPDATED
    assert payload["data"]["id"] == pid
    assert payload["data"]["attributes"]["first_name"] == "Augusta"
    assert signed_by(up, up_secret)

    assert requests.delete(sim.url + f"/people/v2/people/{pid}", auth=sim.auth).status_code \
        == 204
    [gone] = receiver.wait_for(1, "/destroyed")
    event, payload = delivery(gone)
    assert event["attributes"]["name"] == DESTROYED
    assert gone["headers"]["X-PCO-Webhooks-Name"] == DESTROYED
    assert payload["data"]["type"] == "Person" and payload["data"]["id"] == pid
    assert "attributes" not in payload["data"]
    assert payload["meta"]["idempotency_token"]
    assert signed_by(gone, gone_secret)
    assert not signed_by(gone, up_secret)  # each subscription has its own secret
    assert len(receiver.wait_for(1, "/updated")) == 1


def test_staff_actions_through_admin_api_deliver(sim, receiver):
    subscribe(sim, UPDATED, receiver.url())
    subscribe(sim, CREATED, receiver.url("/created"))
    r = requests.post(sim.url + "/__admin/records/people",
                      json={"first_name": "Grace", "last_name": "Hopper", "status": "active"})
    assert r.status_code == 200, r.text
    pid = r.json()["id"]
    [created] = receiver.wait_for(1, "/created")
    assert delivery(created)[1]["data"]["id"] == pid

    r = requests.patch(sim.url + f"/__admin/records/people/{pid}", json={"nickname": "Amazing"})
    assert r.status_code == 200, r.text
    [hit] = receiver.wait_for(1, "/hook")
    event, payload = delivery(hit)
    assert event["attributes"]["name"] == UPDATED
    assert payload["data"]["id"] == pid
    assert payload["data"]["attributes"]["nickname"] == "Amazing"


def test_each_event_has_its_own_id(sim, receiver):
    subscribe(sim, CREATED, receiver.url())
    create_person(sim, "One")
    create_person(sim, "Two")
    hits = receiver.wait_for(2)
    events = [delivery(h) for h in hits]
    assert len({e["id"] for e, _ in events}) == 2
    assert len({p["meta"]["idempotency_token"] for _, p in events}) == 2
    assert {p["data"]["attributes"]["first_name"] for _, p in events} == {"One", "Two"}


# ---- retries and deactivation ----------------------------------------------------------------
def test_non_2xx_is_retried_with_the_same_event_id():
    rec = Receiver(plan={"/hook": [500, 503]})
    try:
        with slow_sim(webhook_retry_base=0.2) as sim:
            _, secret = subscribe(sim, CREATED, rec.url())
            create_person(sim)
            hits = rec.wait_for(3)
            events = [delivery(h) for h in hits]
            assert [e["attributes"]["attempt"] for e, _ in events] == [1, 2, 3]
            assert len({e["id"] for e, _ in events}) == 1
            assert len({h["headers"]["X-PCO-Webhooks-Event-ID"] for h in hits}) == 1
            assert len({p["meta"]["idempotency_token"] for _, p in events}) == 1
            assert len({e["attributes"]["payload"] for e, _ in events}) == 1
            assert all(signed_by(h, secret) for h in hits)  # re-signed per attempt
            # Doubling backoff: 0.2 s, then 0.4 s (generous lower bounds only).
            assert hits[1]["at"] - hits[0]["at"] >= 0.15
            assert hits[2]["at"] - hits[1]["at"] >= 0.3
            log = requests.get(sim.url + "/__admin/webhooks/deliveries").json()["deliveries"]
            assert [d["status"] for d in log] == [500, 503, 200]
            sub = requests.get(sim.url + "/webhooks/v2/webhook_subscriptions",
                               auth=sim.auth).json()["data"][0]
            assert sub["attributes"]["active"] is True
    finally:
        rec.close()


def test_time_scale_shortens_retry_delay():
    rec = Receiver(plan={"/hook": [500]})
    try:
        with slow_sim(webhook_retry_base=30.0, time_scale=0.01) as sim:  # 30 s -> 0.3 s
            subscribe(sim, CREATED, rec.url())
            create_person(sim)
            hits = rec.wait_for(2)
            assert delivery(hits[1])[0]["attributes"]["attempt"] == 2
            assert hits[1]["at"] - hits[0]["at"] >= 0.25
    finally:
        rec.close()


def test_running_out_of_attempts_deactivates():
    rec = Receiver(plan={"/hook": [500] * 10})
    try:
        with slow_sim(webhook_retry_base=0.05, webhook_max_attempts=3) as sim:
            sid, _ = subscribe(sim, CREATED, rec.url())
            create_person(sim)
            assert len(rec.wait_for(3)) == 3
            deadline = time.monotonic() + 10
            while sim.store.tables["webhook_subscriptions"][sid]["active"]:
                assert time.monotonic() < deadline, "subscription never deactivated"
                time.sleep(0.02)
            r = requests.get(sim.url + f"/webhooks/v2/webhook_subscriptions/{sid}",
                             auth=sim.auth)
            assert r.json()["data"]["attributes"]["active"] is False
    finally:
        rec.close()


def test_410_deactivates_the_subscription_at_once(sim):
    rec = Receiver(plan={"/gone": [410]})
    try:
        sid, _ = subscribe(sim, CREATED, rec.url("/gone"))
        subscribe(sim, CREATED, rec.url("/sentinel"))
        create_person(sim, "First")
        rec.wait_for(1, "/gone")
        rec.wait_for(1, "/sentinel")
        deadline = time.monotonic() + 10
        while True:
            r = requests.get(sim.url + f"/webhooks/v2/webhook_subscriptions/{sid}",
                             auth=sim.auth)
            if r.json()["data"]["attributes"]["active"] is False:
                break
            assert time.monotonic() < deadline, "410 did not deactivate the subscription"
            time.sleep(0.02)

        create_person(sim, "Second")
        second = rec.wait_for(2, "/sentinel")[1]
        assert delivery(second)[1]["data"]["attributes"]["first_name"] == "Second"
        time.sleep(0.2)  # short grace for a delivery that should not come
        assert len([h for h in rec.hits if h["path"] == "/gone"]) == 1  # no retry, no new one
        log = requests.get(sim.url + "/__admin/webhooks/deliveries").json()
        assert [d["status"] for d in log["deliveries"] if d["subscription_id"] == sid] == [410]
    finally:
        rec.close()


def test_deliveries_do_not_block_the_api(sim):
    rec = Receiver(delay=2.0)
    try:
        subscribe(sim, CREATED, rec.url())
        subscribe(sim, UPDATED, rec.url())
        t0 = time.monotonic()
        person = create_person(sim)
        r = requests.patch(sim.url + f"/people/v2/people/{person['id']}", auth=sim.auth,
                           json={"data": {"attributes": {"first_name": "Quick"}}})
        listed = requests.get(sim.url + "/people/v2/people", auth=sim.auth)
        elapsed = time.monotonic() - t0
        assert r.status_code == 200 and listed.status_code == 200
        assert elapsed < 1.5, f"API calls took {elapsed:.2f} s behind a 2 s receiver"
        assert len(rec.wait_for(2)) == 2  # both were on their way meanwhile
    finally:
        rec.close()


# ---- what is delivered -----------------------------------------------------------------------
def test_unsubscribed_events_are_not_delivered(sim, receiver):
    subscribe(sim, CREATED, receiver.url())
    person = create_person(sim, "Only")
    pid = person["id"]
    requests.patch(sim.url + f"/people/v2/people/{pid}", auth=sim.auth,
                   json={"data": {"attributes": {"last_name": "Changed"}}})
    requests.post(sim.url + f"/people/v2/people/{pid}/emails", auth=sim.auth,
                  json={"data": {"attributes": {"address": "only@example.org",
                                                "location": "Home"}}})
    requests.delete(sim.url + f"/people/v2/people/{pid}", auth=sim.auth)
    create_person(sim, "Sentinel")
    hits = receiver.wait_for(2)
    time.sleep(0.2)  # short grace for a delivery that should not come
    names = [delivery(h)[0]["attributes"]["name"] for h in receiver.hits]
    assert names == [CREATED, CREATED]
    log = requests.get(sim.url + "/__admin/webhooks/deliveries").json()["deliveries"]
    assert [d["name"] for d in log] == [CREATED, CREATED]
    assert {delivery(h)[1]["data"]["attributes"]["first_name"] for h in hits} == \
        {"Only", "Sentinel"}


def test_inactive_subscription_gets_nothing(sim, receiver):
    sid, _ = subscribe(sim, CREATED, receiver.url("/off"))
    subscribe(sim, CREATED, receiver.url("/on"))
    r = requests.patch(sim.url + f"/webhooks/v2/webhook_subscriptions/{sid}", auth=sim.auth,
                       json={"data": {"attributes": {"active": False}}})
    assert r.status_code == 200 and r.json()["data"]["attributes"]["active"] is False
    create_person(sim)
    receiver.wait_for(1, "/on")
    time.sleep(0.2)
    assert not [h for h in receiver.hits if h["path"] == "/off"]


def test_subscription_rejects_unknown_event_and_duplicates(sim, receiver):
    url = sim.url + "/webhooks/v2/webhook_subscriptions"
    bad = requests.post(url, auth=sim.auth, json={"data": {"attributes": {
        "name": "people.v2.events.person.exploded", "url": receiver.url()}}})
    assert bad.status_code == 422
    subscribe(sim, CREATED, receiver.url())
    dup = requests.post(url, auth=sim.auth, json={"data": {"attributes": {
        "name": CREATED, "url": receiver.url()}}})
    assert dup.status_code == 422


# ---- available events ------------------------------------------------------------------------
def test_available_events_list(sim, samples_dir):
    r = requests.get(sim.url + "/webhooks/v2/available_events", auth=sim.auth,
                     params={"per_page": 100})
    assert r.status_code == 200
    doc = r.json()
    events = {e["attributes"]["name"]: e for e in doc["data"]}
    assert doc["meta"]["total_count"] == len(events) == len(WEBHOOK_EVENT_NAMES)
    for name in (CREATED, UPDATED, DESTROYED, "people.v2.events.person_merger.created",
                 "groups.v2.events.membership.destroyed"):
        assert name in events
    for name, e in events.items():
        assert e["type"] == "AvailableEvent"
        assert e["id"] == hashlib.md5(name.encode()).hexdigest()
        app, version, kind, resource, action = name.split(".")
        assert e["attributes"] == {"action": action, "app": app, "name": name,
                                   "resource": resource, "type": kind, "version": version}
        assert e["links"] == {}
    assert not any(n.startswith("calendar.") for n in events)  # no calendar webhooks

    # Every event in the real recording is listed with the recorded id.
    cassette = yaml.safe_load((samples_dir / "v0_TestWebhooks.test_available_events_list.yaml")
                              .read_text())
    recorded = {}
    for it in cassette["interactions"]:
        for e in json.loads(it["response"]["body"]["string"])["data"]:
            recorded[e["attributes"]["name"]] = e
    assert len(recorded) == 28
    for name, e in recorded.items():
        assert name in events, name
        assert events[name]["id"] == e["id"] == hashlib.md5(name.encode()).hexdigest()
        assert events[name]["attributes"] == e["attributes"]


def test_available_events_page_like_the_recording(sim):
    r = requests.get(sim.url + "/webhooks/v2/available_events", auth=sim.auth)
    doc = r.json()
    assert doc["meta"]["count"] == 25 and doc["meta"]["next"] == {"offset": 25}
    ids = [e["id"] for e in doc["data"]]
    assert ids == sorted(ids)  # ordered by id, as recorded


# ---- the admin CLI ---------------------------------------------------------------------------
def test_admin_cli_edit_delivers_and_webhooks_shows_it_without_secrets(sim, receiver, capsys):
    """`python -m pco_simulator admin --url URL edit people ID first_name=NAME` is staff's
    edit: it fires person.updated; `admin webhooks` shows who is subscribed and what went."""
    from pco_simulator.__main__ import main

    _, secret = subscribe(sim, UPDATED, receiver.url())
    person = create_person(sim)
    assert main(["admin", "--url", sim.url, "edit", "people", person["id"],
                 "first_name=Hedwig"]) == 0
    capsys.readouterr()
    [hit] = receiver.wait_for(1)
    event, payload = delivery(hit)
    assert event["attributes"]["name"] == UPDATED and signed_by(hit, secret)
    assert payload["data"]["attributes"]["first_name"] == "Hedwig"

    assert main(["admin", "--url", sim.url, "webhooks", "--limit", "5"]) == 0
    out = capsys.readouterr().out
    shown = json.loads(out)
    assert shown["subscriptions"] == [{"id": shown["subscriptions"][0]["id"], "name": UPDATED,
                                       "url": receiver.url(), "active": True}]
    assert [(d["name"], d["status"]) for d in shown["deliveries"]] == [(UPDATED, 200)]
    assert secret not in out
