"""The PCO client against the simulator over real HTTP: paging, include joins, pacing,
429 and 5xx retries, re-windowing before deep offsets, clear failures."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

import pytest
import requests

from pco_simulator import SimConfig, Simulator
from pco_sync.errors import PcoError
from pco_sync.pco.client import PcoClient, resolve


def seed_people(sim: Simulator, n: int, *, emails: bool = False) -> None:
    """n people with distinct updated_at, straight into the simulator's store."""
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    people, mails = [], []
    for i in range(n):
        at = (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        pid = str(10_000_001 + i)
        people.append({"id": pid, "first_name": f"P{i}", "last_name": "Test", "status": "active",
                       "created_at": at, "updated_at": at, "child": False})
        if emails:
            mails.append({"id": str(20_000_001 + i), "person_id": pid, "address": f"p{i}@x.org",
                          "location": "Home", "primary": True, "created_at": at,
                          "updated_at": at})
    sim.store.bulk_insert("people", [{**{a: None for a in _person_attrs()}, **p} for p in people])
    if emails:
        sim.store.bulk_insert("emails", mails)


def _person_attrs():
    from pco_simulator.schema import RESOURCES
    return RESOURCES["people"].attributes


def client_for(sim: Simulator, **kw) -> PcoClient:
    kw.setdefault("backoff_base", 0.01)
    return PcoClient(sim.url, *sim.auth, **kw)


def offsets_requested(sim: Simulator) -> list[int]:
    return [int(dict(parse_qsl(r["query"])).get("offset", 0)) for r in sim.sim.requests
            if r["path"] == "/people/v2/people"]


def test_pages_every_record_once_with_ideal_request_count(sim):
    seed_people(sim, 250, emails=True)
    client = client_for(sim)
    seen = [rec["id"] for rec, _ in client.records("/people/v2/people",
                                                   {"include": "emails"})]
    assert len(seen) == 250 and len(set(seen)) == 250
    assert client.stats.requests == math.ceil(250 / 100)


def test_include_joins_resolve_from_the_flat_included_list(sim):
    seed_people(sim, 30, emails=True)
    client = client_for(sim)
    joined = {rec["attributes"]["first_name"]: [e["attributes"]["address"] for e in
                                                resolve(rec, inc, "emails")]
              for rec, inc in client.records("/people/v2/people", {"include": "emails"})}
    assert joined["P7"] == ["p7@x.org"]
    assert all(len(v) == 1 for v in joined.values())


def test_pacing_keeps_a_long_scan_free_of_429s():
    # 10 requests per 1 s window: 25 pages must wait for windows, never be refused.
    with Simulator(SimConfig(rate_limit=10, rate_period=20, time_scale=0.05)) as sim:
        seed_people(sim, 2500)
        client = client_for(sim)
        pages = sum(1 for _ in client.pages("/people/v2/people"))
        assert pages == 25
        assert client.stats.throttled == 0
        assert client.stats.paced_seconds > 0  # it did wait for windows to reset
        assert {r["status"] for r in sim.sim.requests} == {200}


def test_429_waits_retry_after_then_succeeds():
    with Simulator(SimConfig(rate_limit=3, rate_period=20, time_scale=0.05)) as sim:
        seed_people(sim, 5)
        for _ in range(3):  # another process of the same user uses up the window
            requests.get(sim.url + "/people/v2", auth=sim.auth)
        client = client_for(sim)
        assert client.organization_name() == sim.config.organization_name
        assert client.stats.throttled == 1
        assert client.stats.by_status == {429: 1, 200: 1}


@pytest.mark.parametrize("kind", ["error", "drop", "truncate"])
def test_transient_faults_are_retried(sim, kind):
    seed_people(sim, 5)
    sim.sim.faults.add({"kind": kind, "path": "/people/v2/people", "count": 2})
    client = client_for(sim)
    assert len(list(client.records("/people/v2/people"))) == 5
    assert client.stats.retries == 2


def test_timeouts_are_retried(sim):
    seed_people(sim, 3)
    sim.sim.faults.add({"kind": "timeout", "path": "/people/v2/people", "count": 1,
                        "delay": 1.0})
    client = client_for(sim, timeout=(1, 0.3))
    assert len(list(client.records("/people/v2/people"))) == 3
    assert client.stats.retries == 1


def test_gives_up_naming_endpoint_and_cause_without_the_secret(sim):
    sim.sim.faults.add({"kind": "error", "status": 502, "path": "/people/v2/people"})
    client = client_for(sim, max_retries=2)
    with pytest.raises(PcoError) as err:
        list(client.records("/people/v2/people"))
    text = str(err.value)
    assert "GET /people/v2/people" in text and "HTTP 502" in text and "3 attempts" in text
    assert sim.config.secret not in text and sim.config.app_id not in text


def test_client_errors_fail_at_once_with_pco_detail(sim):
    client = client_for(sim)
    with pytest.raises(PcoError) as err:
        client.post("/people/v2/people", {"data": {"attributes": {"birthdate": "1990-13-45"}}})
    assert err.value.status == 422 and "Birthdate" in str(err.value)
    assert client.stats.requests == 1


def test_wrong_credentials_fail_clearly(sim):
    client = PcoClient(sim.url, "nobody", "wrong")
    with pytest.raises(PcoError) as err:
        client.organization_name()
    assert err.value.status == 401 and "wrong" not in str(err.value)


def test_long_scans_rewindow_instead_of_deep_offsets(sim):
    seed_people(sim, 1000)
    client = client_for(sim, max_offset=300)
    ids = [rec["id"] for rec, _ in client.records(
        "/people/v2/people", {"order": "updated_at"})]
    assert set(ids) == {str(10_000_001 + i) for i in range(1000)}
    assert max(offsets_requested(sim)) <= 300
    # the seam re-reads at most the records sharing the last timestamp: one per restart
    assert len(ids) - 1000 <= 3


def test_unordered_long_scan_refuses_rather_than_paging_deep(sim):
    seed_people(sim, 500)
    client = client_for(sim, max_offset=200)
    with pytest.raises(PcoError, match="not ordered by updated_at"):
        list(client.records("/people/v2/people"))


def test_api_versions_are_pinned_per_app(sim):
    seed_people(sim, 1)
    pid = "10000001"
    body = {"data": {"attributes": {"street_line_1": "1 Main St", "city": "Springfield",
                                    "state": "IL", "zip": "62701"}}}
    client_for(sim).post(f"/people/v2/people/{pid}/addresses", body)
    new = client_for(sim).get(f"/people/v2/people/{pid}/addresses")["data"][0]
    old = client_for(sim, versions={"people": "2018-08-01"}).get(
        f"/people/v2/people/{pid}/addresses")["data"][0]
    assert new["attributes"]["street_line_1"] == "1 Main St" and "street" not in new["attributes"]
    assert old["attributes"]["street"] == "1 Main St"


def test_next_links_keep_the_query(sim):
    seed_people(sim, 150)
    client = client_for(sim)
    list(client.pages("/people/v2/people", {"where[last_name]": "test", "order": "-updated_at"}))
    queries = [dict(parse_qsl(r["query"])) for r in sim.sim.requests]
    second = [q for q in queries if q.get("offset") == "100"]
    assert second == [{"offset": "100", "per_page": "100", "where[last_name]": "test",
                       "order": "-updated_at"}]


# ---- writes ---------------------------------------------------------------------------------
PERSON = {"data": {"type": "Person", "attributes": {"first_name": "Ann", "last_name": "Lee"}}}


def test_writes_post_patch_delete(sim):
    client = client_for(sim)
    pid = client.post("/people/v2/people", PERSON)["data"]["id"]
    doc = client.patch(f"/people/v2/people/{pid}",
                       {"data": {"type": "Person", "id": pid, "attributes": {"nickname": "Annie"}}})
    assert doc["data"]["attributes"]["nickname"] == "Annie"
    assert client.delete(f"/people/v2/people/{pid}") is None
    with pytest.raises(PcoError) as err:
        client.get(f"/people/v2/people/{pid}")
    assert err.value.status == 404
    assert [(r["method"], r["status"]) for r in sim.sim.requests] == [
        ("POST", 201), ("PATCH", 200), ("DELETE", 204), ("GET", 404)]


@pytest.mark.parametrize("kind", ["error", "drop", "truncate"])
def test_a_post_that_may_have_reached_pco_is_not_resent(sim, kind):
    """A create is not idempotent: re-sending it after an unclear failure could make a
    duplicate, so the client says 'maybe applied' and leaves the decision to the caller."""
    sim.sim.faults.add({"kind": kind, "path": "/people/v2/people", "method": "POST",
                        "count": 1})
    client = client_for(sim)
    with pytest.raises(PcoError) as err:
        client.post("/people/v2/people", PERSON)
    assert err.value.maybe_applied
    assert client.stats.requests == 1 and client.stats.retries == 0
    people = len(sim.store.tables["people"])
    assert people == (1 if kind == "truncate" else 0)  # truncate: applied, answer cut off


def test_idempotent_writes_are_still_retried(sim):
    pid = client_for(sim).post("/people/v2/people", PERSON)["data"]["id"]
    sim.sim.faults.add({"kind": "error", "path": f"/people/v2/people/{pid}", "count": 1})
    client = client_for(sim)
    client.patch(f"/people/v2/people/{pid}",
                 {"data": {"type": "Person", "id": pid, "attributes": {"nickname": "A"}}})
    assert client.stats.retries == 1 and sim.store.get("people", pid)["nickname"] == "A"


def test_refused_write_carries_pco_detail_and_is_not_maybe_applied(sim):
    client = client_for(sim)
    with pytest.raises(PcoError) as err:
        client.post("/people/v2/people", {"data": {"type": "Person", "attributes": {
            "first_name": "A", "remote_id": "abc"}}})
    assert err.value.status == 422 and not err.value.maybe_applied
    assert err.value.detail == "Remote id is not a number (remote_id)"
