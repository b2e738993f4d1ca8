"""The PCO client against the simulator over real HTTP: paging, include joins, pacing,
429 and 5xx retries, re-windowing before deep offsets, clear failures."""
from __future__ import annotations

import logging
import math
import random
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


# ---- the retry policy, with time and jitter under the test's control -------------------------
LOG = "pco_sync.pco.client"
RATE = {"X-PCO-API-Request-Rate-Limit": "2", "X-PCO-API-Request-Rate-Period": "20",
        "X-PCO-API-Request-Rate-Count": "2"}  # the window is used up


class FakeTime:
    """A clock that moves only when slept on; every sleep is recorded."""

    def __init__(self):
        self.now, self.sleeps = 1000.0, []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(float(seconds))
        self.now += seconds


class FixedRng:
    """Hands out the given jitter factors in order and records what it was asked for."""

    def __init__(self, *factors: float):
        self.factors, self.calls = list(factors), []

    def uniform(self, a: float, b: float) -> float:
        self.calls.append((a, b))
        return self.factors.pop(0)


class ScriptedSession(requests.Session):
    """A real session to the simulator, except that the first sends play a script: an
    exception to raise, or (status, headers) for a canned answer."""

    def __init__(self, *script):
        super().__init__()
        self.script = list(script)

    def request(self, method, url, **kw):
        if not self.script:
            return super().request(method, url, **kw)
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        status, headers = step
        resp = requests.Response()
        resp.status_code, resp.url, resp.reason = status, url, "scripted"
        resp.headers.update(headers)
        resp._content = b'{"errors": [{"detail": "scripted"}]}'
        return resp


def timed_client(sim: Simulator, fake: FakeTime, **kw) -> PcoClient:
    return client_for(sim, sleep=fake.sleep, clock=fake.clock, **kw)


def test_a_post_answered_503_is_sent_once_and_may_have_been_applied(sim):
    sim.sim.faults.add({"kind": "error", "status": 503, "path": "/people/v2/people",
                        "method": "POST", "count": 1})  # a re-send would succeed
    fake = FakeTime()
    client = timed_client(sim, fake)
    with pytest.raises(PcoError) as err:
        client.post("/people/v2/people", PERSON)
    assert err.value.maybe_applied and err.value.status == 503
    assert "not re-sent" in str(err.value)
    assert [r["method"] for r in sim.sim.requests] == ["POST"]
    assert fake.sleeps == [] and client.stats.retries == 0
    assert len(sim.store.tables["people"]) == 0


def test_a_connect_timeout_on_post_is_retried_and_creates_once(sim):
    fake = FakeTime()
    client = timed_client(sim, fake, session=ScriptedSession(
        requests.ConnectTimeout("connect timed out")))
    client.post("/people/v2/people", PERSON)
    assert len(sim.store.tables["people"]) == 1
    assert [r["method"] for r in sim.sim.requests] == ["POST"]  # the one that got through
    assert client.stats.requests == 2 and client.stats.retries == 1 and len(fake.sleeps) == 1


@pytest.mark.parametrize("error", [requests.ReadTimeout("read timed out"),
                                   requests.ConnectionError("connection reset")])
def test_a_post_without_an_answer_is_not_resent_unless_idempotent(sim, error):
    fake = FakeTime()
    client = timed_client(sim, fake, session=ScriptedSession(error))
    with pytest.raises(PcoError) as err:
        client.post("/people/v2/people", PERSON)
    assert err.value.maybe_applied and f"{type(error).__name__} (no answer)" in str(err.value)
    assert client.stats.requests == 1 and fake.sleeps == []

    client = timed_client(sim, fake, session=ScriptedSession(error))
    client.post("/people/v2/people", PERSON, idempotent=True)
    assert client.stats.requests == 2 and client.stats.retries == 1
    assert len(sim.store.tables["people"]) == 1


def test_429s_beyond_max_throttled_give_up_with_the_message():
    with Simulator(SimConfig(rate_limit=1, rate_period=20)) as sim:
        requests.get(sim.url + "/people/v2", auth=sim.auth)  # the window is used up
        fake = FakeTime()
        client = timed_client(sim, fake, max_throttled=2, max_retries=0)
        with pytest.raises(PcoError) as err:
            client.organization_name()
    assert str(err.value) == "GET /people/v2: still rate limited after 3 waits"
    assert err.value.status == 429 and not err.value.maybe_applied
    assert client.stats.throttled == 3 and client.stats.requests == 3
    assert client.stats.retries == 0 and client.stats.by_status == {429: 3}
    assert len(fake.sleeps) == 2 and all(1 <= s <= 20 for s in fake.sleeps)  # Retry-After


def test_429s_do_not_use_up_max_retries_and_reset_the_pacer(sim):
    fake = FakeTime()
    client = timed_client(sim, fake, backoff_base=1.0, max_retries=1, max_throttled=2,
                          rng=FixedRng(0.5), session=ScriptedSession(
                              (429, {"Retry-After": "3", **RATE}), (503, {}), (429, {})))
    assert client.organization_name() == sim.config.organization_name
    # Retry-After, then backoff with jitter, then backoff_base for a 429 without Retry-After;
    # no pacing wait after a 429 although its headers said the window was used up.
    assert fake.sleeps == [3.0, 0.5, 1.0]
    assert client.stats.paced_seconds == 0
    assert (client.stats.requests, client.stats.retries, client.stats.throttled) == (4, 1, 2)
    assert client.stats.by_status == {429: 2, 503: 1, 200: 1}


def test_pacing_applies_to_the_answers_of_failed_attempts_too(sim):
    fake = FakeTime()
    client = timed_client(sim, fake, backoff_base=1.0, rng=FixedRng(1.0),
                          session=ScriptedSession((503, RATE)))
    client.organization_name()
    # the 503 used up a 20 s window; the retry waits 1 s, then the rest of the window
    assert fake.sleeps == [1.0, pytest.approx(19.01)]
    assert client.stats.paced_seconds == pytest.approx(19.0)


def test_backoff_is_capped_exponential_with_the_injected_jitter(sim):
    sim.sim.faults.add({"kind": "error", "path": "/people/v2/people", "count": 5})
    fake, rng = FakeTime(), FixedRng(0.5, 1.0, 0.75, 0.5, 1.0)
    client = timed_client(sim, fake, backoff_base=1.0, backoff_cap=4.0, max_retries=5, rng=rng)
    assert list(client.records("/people/v2/people")) == []
    # base delays 1, 2, 4, 4 (capped), 4 (capped) times the jitter factors
    assert fake.sleeps == pytest.approx([0.5, 2.0, 3.0, 2.0, 4.0])
    assert rng.calls == [(0.5, 1.0)] * 5
    assert client.stats.retries == 5 and client.stats.requests == 6


def test_jitter_stays_within_half_to_all_of_the_capped_delay(sim):
    sim.sim.faults.add({"kind": "error", "path": "/people/v2/people", "count": 8})
    fake = FakeTime()
    client = timed_client(sim, fake, backoff_base=0.3, backoff_cap=5.0, max_retries=8,
                          rng=random.Random(7))
    list(client.records("/people/v2/people"))
    assert len(fake.sleeps) == 8
    replay = random.Random(7)
    for n, delay in enumerate(fake.sleeps, 1):
        capped = min(5.0, 0.3 * 2 ** (n - 1))
        assert 0.5 * capped <= delay <= capped
        assert delay == pytest.approx(capped * replay.uniform(0.5, 1.0))


def test_giving_up_names_endpoint_and_cause_never_the_secret(sim, caplog):
    caplog.set_level(logging.INFO, logger=LOG)
    sim.sim.faults.add({"kind": "error", "status": 502, "path": "/people/v2/people"})
    fake, rng = FakeTime(), FixedRng(1.0, 1.0, 1.0)
    client = timed_client(sim, fake, max_retries=2, rng=rng)
    with pytest.raises(PcoError) as err:
        client.get("/people/v2/people")
    assert str(err.value) == "GET /people/v2/people failed after 3 attempts: HTTP 502"
    assert err.value.endpoint == "GET /people/v2/people" and not err.value.maybe_applied
    assert len(fake.sleeps) == 2 and len(rng.calls) == 2  # no jitter drawn for the last
    assert client.stats.retries == 2 and client.stats.by_status == {502: 3}
    for text in [str(err.value), repr(err.value), caplog.text]:
        assert sim.config.secret not in text and sim.config.app_id not in text


@pytest.mark.parametrize("script, cause", [
    ([requests.ReadTimeout("read timed out")] * 2, "ReadTimeout (no answer)"),
    ([requests.ConnectionError("connection reset")] * 2, "ConnectionError (no answer)"),
    ([(503, {}), (504, {})], "HTTP 504"),
])
def test_the_message_names_the_last_cause(sim, script, cause):
    client = timed_client(sim, FakeTime(), max_retries=1, session=ScriptedSession(*script))
    with pytest.raises(PcoError) as err:
        client.get("/people/v2")
    assert str(err.value) == f"GET /people/v2 failed after 2 attempts: {cause}"


def test_truncated_json_on_a_read_is_retried_until_max_retries(sim):
    sim.sim.faults.add({"kind": "truncate", "path": "/people/v2"})
    fake = FakeTime()
    client = timed_client(sim, fake, max_retries=1)
    with pytest.raises(PcoError, match="failed after 2 attempts: truncated or invalid JSON"):
        client.organization_name()
    assert client.stats.requests == 2 and len(fake.sleeps) == 1


def test_client_errors_are_not_retried(sim):
    fake = FakeTime()
    client = timed_client(sim, fake)
    with pytest.raises(PcoError) as err:
        client.get("/people/v2/people/999")
    assert err.value.status == 404 and err.value.permanent
    assert client.stats.requests == 1 and fake.sleeps == []


def test_retries_and_rate_limit_waits_are_logged(sim, caplog):
    caplog.set_level(logging.INFO, logger=LOG)
    client = timed_client(sim, FakeTime(), backoff_base=1.0, max_retries=3, rng=FixedRng(1.0),
                          session=ScriptedSession((503, {}), (429, {"Retry-After": "2"})))
    client.organization_name()
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == LOG]
    assert lines == [("WARNING", "GET /people/v2: HTTP 503; retry 1/3 in 1.0 s"),
                     ("INFO", "PCO rate limit reached on GET /people/v2; waiting 2.00 s")]
