"""PCO's rate limit in the simulator: the three X-PCO-API-Request-Rate-* headers, 429 with
Retry-After and PCO's body, per-credential windows, the stricter deep-offset bucket, the
time scale, live changes through the admin API, and 401 for bad credentials."""
from __future__ import annotations

import time

import pytest
import requests

from pco_simulator import SimConfig, Simulator
from pco_simulator.ratelimit import Decision, RateLimiter, fmt_seconds, retry_after_header

LIMIT_H = "X-PCO-API-Request-Rate-Limit"
PERIOD_H = "X-PCO-API-Request-Rate-Period"
COUNT_H = "X-PCO-API-Request-Rate-Count"
RATE_HEADERS = (LIMIT_H, PERIOD_H, COUNT_H)
PEOPLE = "/people/v2/people"


class FakeClock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def _session(sim: Simulator) -> requests.Session:
    s = requests.Session()
    s.auth = sim.auth
    return s


def _period_seconds(value: str) -> float:
    return float(value.split()[0])


def _assert_429(resp: requests.Response, count: int, limit: int, period: str) -> None:
    assert resp.status_code == 429, resp.text
    assert resp.json() == {"errors": [{
        "code": "429",
        "detail": f"Rate limit exceeded: {count} of {limit} requests per {period} seconds"}]}
    retry_after = float(resp.headers["Retry-After"])
    assert retry_after > 0
    assert resp.headers[COUNT_H] == str(count)
    assert resp.headers[LIMIT_H] == str(limit)


# ---- headers ---------------------------------------------------------------------------------
def test_rate_headers_on_success_404_and_422(sim, pco):
    ok = pco.get(pco.base + PEOPLE)
    missing = pco.get(pco.base + PEOPLE + "/424242")
    invalid = pco.post(pco.base + PEOPLE, json={"data": {"attributes": {"first_name": ""}}})
    bad_query = pco.get(pco.base + PEOPLE, params={"order": "nonsense"})
    assert [r.status_code for r in (ok, missing, invalid, bad_query)] == [200, 404, 422, 400]
    for i, r in enumerate((ok, missing, invalid, bad_query), start=1):
        for h in RATE_HEADERS:
            assert h in r.headers, (r.status_code, h, dict(r.headers))
        assert r.headers[LIMIT_H] == "100000"
        assert _period_seconds(r.headers[PERIOD_H]) == 20
        assert r.headers[COUNT_H] == str(i)


def test_count_increments_across_apps(sim, pco):
    paths = [PEOPLE, "/groups/v2/groups", "/calendar/v2/events", "/services/v2/teams",
             "/webhooks/v2/available_events", PEOPLE]
    counts = [int(pco.get(pco.base + p).headers[COUNT_H]) for p in paths]
    assert counts == list(range(1, len(paths) + 1))  # one bucket shared by all apps


def test_admin_requests_are_not_counted(sim, pco):
    assert pco.get(pco.base + PEOPLE).headers[COUNT_H] == "1"
    for _ in range(3):
        assert requests.get(sim.url + "/__admin/health").status_code == 200
    assert pco.get(pco.base + PEOPLE).headers[COUNT_H] == "2"


# ---- 429 -------------------------------------------------------------------------------------
def test_exceeding_the_limit_gives_429_with_pco_body_and_retry_after():
    with Simulator(SimConfig(rate_limit=3)) as sim, _session(sim) as s:
        for i in range(1, 4):
            r = s.get(sim.url + PEOPLE)
            assert r.status_code == 200 and r.headers[COUNT_H] == str(i)
        first = s.get(sim.url + PEOPLE)
        _assert_429(first, 4, 3, "20")
        # Rejected requests count too: "118 of 100".
        second = s.get(sim.url + PEOPLE)
        _assert_429(second, 5, 3, "20")
        # Whole seconds for a full-length window, as real clients parse it.
        ra = second.headers["Retry-After"]
        assert ra.isdigit() and 1 <= int(ra) <= 20
        # 429 applies to writes too, and the write does not happen.
        w = s.post(sim.url + PEOPLE, json={"data": {"attributes": {"first_name": "Zed"}}})
        assert w.status_code == 429
        assert sim.store.tables["people"] == {}


def test_window_passes_and_requests_succeed_again():
    with Simulator(SimConfig(rate_limit=5, time_scale=0.05)) as sim, _session(sim) as s:
        for _ in range(5):
            assert s.get(sim.url + PEOPLE).status_code == 200
        r = s.get(sim.url + PEOPLE)
        _assert_429(r, 6, 5, "1")
        wait = float(r.headers["Retry-After"])
        assert 0 < wait <= 1.0
        time.sleep(wait + 0.05)
        again = s.get(sim.url + PEOPLE)
        assert again.status_code == 200, again.text
        assert again.headers[COUNT_H] == "1"


def test_time_scale_shortens_window_and_period_header_is_scaled(sim, pco):
    assert _period_seconds(pco.get(pco.base + PEOPLE).headers[PERIOD_H]) == 20
    with Simulator(SimConfig(rate_limit=2, time_scale=0.025)) as fast, _session(fast) as s:
        r = s.get(fast.url + PEOPLE)
        assert _period_seconds(r.headers[PERIOD_H]) == pytest.approx(0.5)
        s.get(fast.url + PEOPLE)
        limited = s.get(fast.url + PEOPLE)
        assert limited.status_code == 429
        assert float(limited.headers["Retry-After"]) <= 0.5
        assert "per 0.5 seconds" in limited.json()["errors"][0]["detail"]


def test_period_header_has_no_float_noise():
    # 25 * 0.28 == 7.000000000000001 in binary floating point.
    with Simulator(SimConfig(rate_period=25, time_scale=0.28)) as sim, _session(sim) as s:
        assert s.get(sim.url + PEOPLE).headers[PERIOD_H] == "7"
    assert fmt_seconds(2.0001) == "2"
    assert fmt_seconds(0.5) == "0.5"
    assert fmt_seconds(20.0) == "20"
    assert Decision(True, 1, 100, 25 * 0.28, 0.0).headers()[PERIOD_H] == "7"


def test_retry_after_header_formats():
    assert retry_after_header(12.2) == "13"
    assert retry_after_header(1.0) == "1"
    assert 0 < float(retry_after_header(0.25)) <= 0.25
    assert float(retry_after_header(0.0)) > 0  # never zero or negative


# ---- per credential (RateLimiter with an injected clock) -------------------------------------
def test_limits_are_per_credential():
    clock = FakeClock()
    limiter = RateLimiter(SimConfig(rate_limit=3, rate_period=20), clock=clock)
    assert [limiter.hit("alice").allowed for _ in range(4)] == [True, True, True, False]
    bob = limiter.hit("bob")
    assert bob.allowed and bob.count == 1
    denied = limiter.hit("alice")
    assert not denied.allowed and denied.count == 5
    assert denied.retry_after == pytest.approx(20.0)
    clock.t += 12.5
    assert limiter.hit("alice").retry_after == pytest.approx(7.5)
    clock.t += 7.5  # alice's window is over, bob's too
    fresh = limiter.hit("alice")
    assert fresh.allowed and fresh.count == 1
    assert limiter.hit("bob").count == 1


def test_limiter_windows_follow_time_scale():
    clock = FakeClock()
    limiter = RateLimiter(SimConfig(rate_limit=1, time_scale=0.05), clock=clock)
    assert limiter.hit("a").allowed
    d = limiter.hit("a")
    assert not d.allowed and d.period == pytest.approx(1.0)
    clock.t += 0.99
    assert not limiter.hit("a").allowed
    clock.t += 0.02
    assert limiter.hit("a").allowed


def test_limiter_reset_clears_windows():
    limiter = RateLimiter(SimConfig(rate_limit=1), clock=FakeClock())
    limiter.hit("a")
    assert not limiter.hit("a").allowed
    limiter.reset()
    assert limiter.hit("a").allowed


# ---- deep offsets ----------------------------------------------------------------------------
def test_deep_offsets_hit_the_stricter_bucket():
    clock = FakeClock()
    limiter = RateLimiter(SimConfig(rate_limit=100, deep_offset_limit=2), clock=clock)
    assert limiter.hit("a", deep=True).allowed
    assert limiter.hit("a", deep=True).allowed
    strict = limiter.hit("a", deep=True)
    assert not strict.allowed
    assert (strict.limit, strict.count) == (2, 3)
    # The main bucket still has room for shallow requests, and deep ones counted in it.
    shallow = limiter.hit("a")
    assert shallow.allowed and shallow.limit == 100 and shallow.count == 4
    # Another credential's deep bucket is its own.
    assert limiter.hit("b", deep=True).allowed
    clock.t += 20
    assert limiter.hit("a", deep=True).allowed


def test_deep_offset_over_http():
    cfg = SimConfig(rate_limit=100, deep_offset_limit=2)
    with Simulator(cfg) as sim, _session(sim) as s:
        deep = {"offset": "30001"}
        first = s.get(sim.url + PEOPLE, params=deep)
        assert first.status_code == 200, first.text
        assert first.json()["data"] == [] and first.json()["meta"]["total_count"] == 0
        assert s.get(sim.url + PEOPLE, params=deep).status_code == 200
        limited = s.get(sim.url + PEOPLE, params=deep)
        _assert_429(limited, 3, 2, "20")
        # offset 30,000 is not above the threshold; shallow requests go on.
        edge = s.get(sim.url + PEOPLE, params={"offset": "30000"})
        assert edge.status_code == 200
        assert s.get(sim.url + PEOPLE).status_code == 200


# ---- admin changes limits live ---------------------------------------------------------------
def test_admin_config_changes_limits_live(sim, pco):
    admin = sim.url + "/__admin/config"
    pco.get(pco.base + PEOPLE)
    r = requests.patch(admin, json={"rate_limit": 2})
    assert r.status_code == 200 and r.json()["rate_limit"] == 2
    a, b, c = (pco.get(pco.base + PEOPLE) for _ in range(3))
    assert (a.status_code, b.status_code) == (200, 200)
    assert a.headers[LIMIT_H] == "2" and a.headers[COUNT_H] == "1"  # windows were reset
    _assert_429(c, 3, 2, "20")

    r = requests.patch(admin, json={"rate_limit": 50, "time_scale": 0.5})
    assert r.status_code == 200
    ok = pco.get(pco.base + PEOPLE)
    assert ok.status_code == 200
    assert ok.headers[LIMIT_H] == "50"
    assert _period_seconds(ok.headers[PERIOD_H]) == 10
    assert requests.get(admin).json()["rate_limit"] == 50


@pytest.mark.parametrize("body", [{"rate_limit": 0}, {"rate_limit": -5},
                                  {"secret": "x"}, {"no_such_setting": 1}])
def test_admin_config_rejects_bad_values(sim, body):
    r = requests.patch(sim.url + "/__admin/config", json=body)
    assert r.status_code == 400, r.text
    assert requests.get(sim.url + "/__admin/config").json()["rate_limit"] == 100_000


# ---- 401 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("auth", [None, ("pco_app_id", "wrong"), ("someone_else", "pco_secret"),
                                  "garbage"])
def test_missing_or_wrong_credentials_get_401(sim, auth):
    headers = {}
    if auth == "garbage":
        headers["Authorization"] = "Basic !!!not-base64!!!"
        auth = None
    r = requests.get(sim.url + PEOPLE, auth=auth, headers=headers)
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("application/vnd.api+json")
    err = r.json()["errors"][0]
    assert err["status"] == "401"
    assert err["title"] == "Unauthorized"
    assert err["detail"]


def test_401_does_not_consume_the_callers_window():
    with Simulator(SimConfig(rate_limit=2)) as sim, _session(sim) as s:
        for _ in range(5):
            assert requests.get(sim.url + PEOPLE, auth=("pco_app_id", "nope")).status_code == 401
        r = s.get(sim.url + PEOPLE)
        assert r.status_code == 200 and r.headers[COUNT_H] == "1"
