"""Planning Center's HTTP API, as pco-sync talks to it: Basic auth, pinned versions per app,
pacing from the rate-limit headers, retries that give up with a clear message, and
streaming pagination that never goes past offset 30,000. No Airflow here.
"""
from __future__ import annotations

import json
import logging
import random
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator
from urllib.parse import parse_qsl, urlsplit

import requests
import tenacity

from pco_sync.errors import PcoDisconnected, PcoError

log = logging.getLogger(__name__)

API_VERSIONS = {
    "people": "2025-11-10",
    "groups": "2023-07-10",
    "calendar": "2022-07-07",
    "services": "2018-11-01",
    "webhooks": "2022-10-20",
}
MAX_OFFSET = 30_000  # deeper offsets get a stricter limit and 500s (developers#1428)
RETRYABLE_STATUS = {500, 502, 503, 504}
NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass
class Stats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0  # 429 answers
    paced_seconds: float = 0.0  # time spent waiting for the window to reset
    by_status: dict[int, int] = field(default_factory=dict)


def _seconds(text: str | None) -> float | None:
    m = NUMBER.search(text or "")
    return float(m.group()) if m else None


class Pacer:
    """Keeps a client within `limit` requests per `period`, learned from the headers.

    PCO counts requests in a window that opens with the first one. When the count says
    the window is used up, wait until it closes instead of collecting a 429."""

    def __init__(self, sleep: Callable[[float], None], clock: Callable[[], float]):
        self.sleep, self.clock = sleep, clock
        self.limit: int | None = None
        self.period: float | None = None
        self.count = 0
        self.window_start: float | None = None

    def before(self) -> float:
        if self.limit is None or self.period is None or self.window_start is None:
            return 0.0
        if self.count < self.limit:
            return 0.0
        wait = self.window_start + self.period - self.clock()
        if wait > 0:
            self.sleep(wait + 0.01)
        self.count, self.window_start = 0, None
        return max(wait, 0.0)

    def after(self, headers, answered_at: float) -> None:
        limit = _seconds(headers.get("X-PCO-API-Request-Rate-Limit"))
        period = _seconds(headers.get("X-PCO-API-Request-Rate-Period"))
        count = _seconds(headers.get("X-PCO-API-Request-Rate-Count"))
        if limit is None or period is None or count is None:
            return
        self.limit, self.period = int(limit), period
        if count <= 1 or self.window_start is None or int(count) < self.count:
            self.window_start = answered_at  # this request opened a new window
        self.count = int(count)


class PcoClient:
    def __init__(self, base_url: str, app_id: str = "", secret: str = "", *, auth=None,
                 versions: dict[str, str] | None = None, timeout: tuple[float, float] = (5, 60),
                 max_retries: int = 6, backoff_base: float = 1.0, backoff_cap: float = 60.0,
                 max_throttled: int = 30, max_offset: int = MAX_OFFSET, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None):
        if not base_url or (auth is None and (not app_id or not secret)):
            raise PcoError("the PCO connection needs a base URL, an app id and a secret")
        self.base_url = base_url.rstrip("/")
        self.versions = {**API_VERSIONS, **(versions or {})}
        self.timeout, self.max_retries = timeout, max_retries
        self.backoff_base, self.backoff_cap, self.max_throttled = backoff_base, backoff_cap, \
            max_throttled
        self.session = session or requests.Session()
        # A personal access token (Basic), or a church's OAuth tokens
        # (pco_sync.pco.tokens.BearerAuth: refreshed before expiry and after a 401).
        self.session.auth = auth if auth is not None else (app_id, secret)
        self.session.headers.update({"Accept": "application/vnd.api+json",
                                     "User-Agent": "pco-sync"})
        self.max_offset = max_offset
        self.sleep, self.clock = sleep, clock
        self.rng = rng or random.Random()
        self.pacer = Pacer(sleep, clock)
        self.stats = Stats()
        # The list pages() is reading: pages read so far, and PCO's meta.total_count of its
        # first page (None: PCO gave none), so a caller can say how far a long read is.
        self.pages_read = 0
        self.total_count: int | None = None

    # ---- one request ------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url + "/" + path.lstrip("/")

    def _version_header(self, url: str) -> dict[str, str]:
        app = urlsplit(url).path.strip("/").split("/")[0]
        return {"X-PCO-API-Version": self.versions[app]} if app in self.versions else {}

    def request(self, method: str, path: str, *, params: dict | list | None = None,
                json_body: dict | None = None, idempotent: bool | None = None) -> dict | None:
        """One API call with pacing and retries; the parsed JSON (None for 204).

        A request that is not idempotent (POST, unless told otherwise) is never re-sent
        after a failure that may have reached PCO: it raises PcoError(maybe_applied=True)
        instead, so a create is not made twice. 429s and connect timeouts (nothing sent)
        are still retried."""
        url = self.url(path)
        endpoint = f"{method} {urlsplit(url).path}"
        safe = method != "POST" if idempotent is None else idempotent
        policy = _RetryPolicy(self, endpoint)
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),  # anything else is final
            after=policy.count, wait=policy.wait, stop=policy.stop,
            before_sleep=policy.before_sleep, retry_error_callback=policy.give_up,
            sleep=self.sleep)  # the injected sleep, so tests control time
        try:
            return retrying(self._attempt, method, url, endpoint, params, json_body, safe)
        except PcoError as exc:
            refresh = getattr(self.session.auth, "unauthorized", None)
            if exc.status != 401 or refresh is None or isinstance(exc, PcoDisconnected):
                raise
        # An OAuth access token PCO no longer takes (expired early, revoked): refresh it
        # once and send again; a 401 is never applied, so a POST is safe to repeat.
        refresh()
        return retrying(self._attempt, method, url, endpoint, params, json_body, safe)

    def _attempt(self, method: str, url: str, endpoint: str, params, json_body,
                 safe: bool) -> dict | None:
        """Send once and sort the answer: a result, a final PcoError, or a _Retryable."""
        self.stats.paced_seconds += self.pacer.before()
        self.stats.requests += 1
        try:
            resp = self.session.request(method, url, params=params, json=json_body,
                                        headers=self._version_header(url), timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            cause = f"{type(exc).__name__} (no answer)"
            # A connect timeout sent nothing; any other may have reached PCO.
            if not safe and not isinstance(exc, requests.ConnectTimeout):
                raise self._unsure(endpoint, cause) from None
            raise _Failed(cause) from exc
        # A window this request opened began between sending and the answer: counting from
        # the answer errs on the safe side (seen: counting from the send met a 429 on a busy
        # machine, the server's window having started tens of ms later).
        self.pacer.after(resp.headers, self.clock())
        self.stats.by_status[resp.status_code] = self.stats.by_status.get(resp.status_code, 0) + 1
        if resp.status_code == 429:
            self.stats.throttled += 1
            raise _Throttled(_seconds(resp.headers.get("Retry-After")))
        if resp.status_code in RETRYABLE_STATUS:
            if not safe:
                raise self._unsure(endpoint, f"HTTP {resp.status_code}", resp.status_code)
            raise _Failed(f"HTTP {resp.status_code}")
        if resp.status_code >= 400:
            detail = error_detail(resp)
            raise PcoError(f"{endpoint}: HTTP {resp.status_code}: {detail}",
                           status=resp.status_code, endpoint=endpoint, detail=detail)
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except (ValueError, requests.exceptions.JSONDecodeError) as exc:
            cause = "truncated or invalid JSON in the answer"
            if not safe:  # the body was cut off, but PCO may well have applied the write
                raise self._unsure(endpoint, cause, resp.status_code) from None
            raise _Failed(cause) from exc

    @staticmethod
    def _unsure(endpoint: str, cause: str, status: int | None = None) -> PcoError:
        return PcoError(f"{endpoint}: {cause}; not re-sent, it may have been applied",
                        status=status, endpoint=endpoint, detail=cause, maybe_applied=True)

    def get(self, path: str, params: dict | list | None = None) -> dict:
        return self.request("GET", path, params=params) or {}

    def post(self, path: str, body: dict, *, idempotent: bool = False) -> dict:
        return self.request("POST", path, json_body=body, idempotent=idempotent) or {}

    def patch(self, path: str, body: dict) -> dict:
        return self.request("PATCH", path, json_body=body) or {}

    def delete(self, path: str) -> None:
        self.request("DELETE", path)

    def granted(self, path_or_event: str) -> bool:
        """Whether the credentials may read this product: a personal access token may try
        anything (PCO answers 403 where it may not); OAuth tokens what the church granted."""
        scopes = getattr(self.session.auth, "scopes", None)
        if scopes is None:
            return True
        from pco_sync.pco.oauth import scope_of

        return scope_of(path_or_event) in scopes()

    def organization_name(self) -> str:
        return self.get("/people/v2")["data"]["attributes"]["name"]

    # ---- lists ----------------------------------------------------------------------------
    def pages(self, path: str, params: dict | None = None, *, per_page: int = 100,
              window_attr: str = "updated_at") -> Iterator[dict]:
        """Every page of a list, following links.next. Before the offset would pass 30,000
        the scan starts again from the last `window_attr` value seen (the list must be
        ordered by it); records read twice at the seam are the caller's to de-duplicate."""
        query = dict(params or {})
        query["per_page"] = per_page
        url: str | None = self.url(path)
        last_value = None
        self.pages_read, self.total_count = 0, None
        while url:
            doc = self.get(url, query)
            query = None  # links.next carries the query from here on
            self.pages_read += 1
            if self.pages_read == 1:  # a re-windowed scan counts only what is left: keep the first
                total = (doc.get("meta") or {}).get("total_count")
                self.total_count = total if isinstance(total, int) and total >= 0 else None
            yield doc
            data = doc.get("data") or []
            if data and window_attr:
                last_value = (data[-1].get("attributes") or {}).get(window_attr, last_value)
            url = (doc.get("links") or {}).get("next")
            if url and int(dict(parse_qsl(urlsplit(url).query)).get("offset", 0)) > self.max_offset:
                url, query = self._rewindow(path, params, per_page, window_attr, last_value)

    def _rewindow(self, path, params, per_page, window_attr, last_value):
        base = dict(params or {})
        if base.get("order") != window_attr or last_value is None:
            raise PcoError(f"GET {path}: more than {self.max_offset} records and the list is not "
                           f"ordered by {window_attr}, so it cannot be re-windowed")
        key = f"where[{window_attr}][gte]"
        if base.get(key) == last_value:
            raise PcoError(f"GET {path}: over {self.max_offset} records share {window_attr}="
                           f"{last_value}; cannot page past them")
        base[key] = last_value
        base["per_page"] = per_page
        return self.url(path), base

    def records(self, path: str, params: dict | None = None, **kw) -> Iterator[
            tuple[dict, dict[tuple[str, str], dict]]]:
        """(record, included-by-(type, id)) for every record of a list, page by page."""
        for doc in self.pages(path, params, **kw):
            included = {(r["type"], r["id"]): r for r in doc.get("included") or []}
            for rec in doc.get("data") or []:
                yield rec, included


# ---- the retry policy -------------------------------------------------------------------------
class _Retryable(Exception):
    """An attempt that failed in a way worth trying again (never leaves the client)."""


class _Throttled(_Retryable):
    """A 429: wait as PCO says, then ask again."""

    def __init__(self, retry_after: float | None):
        super().__init__("HTTP 429")
        self.retry_after = retry_after


class _Failed(_Retryable):
    """A 5xx, no answer, or a body that is not JSON: back off, then ask again."""

    def __init__(self, cause: str):
        super().__init__(cause)
        self.cause = cause


class _RetryPolicy:
    """One request's retries, as tenacity's hooks (called in the order after, wait, stop,
    then before_sleep or give_up). 429s and failures are counted apart: waiting out the
    rate limit is not PCO failing, so it does not use up max_retries."""

    def __init__(self, client: PcoClient, endpoint: str):
        self.client, self.endpoint = client, endpoint
        self.failures = self.throttled = 0

    def count(self, state: tenacity.RetryCallState) -> None:
        if isinstance(state.outcome.exception(), _Throttled):
            self.throttled += 1
        else:
            self.failures += 1

    def stop(self, state: tenacity.RetryCallState) -> bool:
        c = self.client
        return self.failures > c.max_retries or self.throttled > c.max_throttled

    def wait(self, state: tenacity.RetryCallState) -> float:
        c, exc = self.client, state.outcome.exception()
        if isinstance(exc, _Throttled):
            return exc.retry_after or c.backoff_base
        if self.stop(state):
            return 0.0  # tenacity asks before stopping; draw no jitter for a wait not taken
        delay = min(c.backoff_cap, c.backoff_base * 2 ** (self.failures - 1))
        return delay * c.rng.uniform(0.5, 1.0)  # jitter, so parallel tasks do not retry in step

    def before_sleep(self, state: tenacity.RetryCallState) -> None:
        c, exc, delay = self.client, state.outcome.exception(), state.upcoming_sleep
        if isinstance(exc, _Throttled):
            log.info("PCO rate limit reached on %s; waiting %.2f s", self.endpoint, delay)
            # The window has closed by the time the wait is over: count afresh from the
            # next answer's headers rather than pacing for the window that refused us.
            c.pacer.count, c.pacer.window_start = 0, None
        else:
            c.stats.retries += 1
            log.warning("%s: %s; retry %d/%d in %.1f s", self.endpoint, exc.cause,
                        self.failures, c.max_retries, delay)

    def give_up(self, state: tenacity.RetryCallState):
        exc = state.outcome.exception()
        if isinstance(exc, _Throttled):
            raise PcoError(f"{self.endpoint}: still rate limited after {self.throttled} waits",
                           status=429, endpoint=self.endpoint)
        raise PcoError(f"{self.endpoint} failed after {self.failures} attempts: {exc.cause}",
                       endpoint=self.endpoint) from exc.__cause__


def error_detail(resp: requests.Response) -> str:
    try:
        errors = resp.json().get("errors") or []
    except (ValueError, AttributeError):
        return resp.text[:200] or resp.reason or "no detail"
    parts = []
    for e in errors[:3]:
        text = e.get("detail") or e.get("title") or json.dumps(e)
        param = (e.get("source") or {}).get("parameter")
        parts.append(f"{text} ({param})" if param else text)
    return "; ".join(parts) or resp.reason or "no detail"


def resolve(record: dict, included: dict, name: str) -> list[dict]:
    """The included records a record's relationship `name` points at."""
    data = ((record.get("relationships") or {}).get(name) or {}).get("data")
    refs = data if isinstance(data, list) else ([data] if data else [])
    return [included[(r["type"], r["id"])] for r in refs if (r["type"], r["id"]) in included]


