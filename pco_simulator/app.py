"""The simulator's ASGI app: PCO's API with its auth (personal access tokens over HTTP Basic,
OAuth 2 bearer tokens and the /oauth endpoints), rate limit, version headers and faults,
plus an admin API under /__admin that is not part of PCO.

The PCO side is a plain ASGI handler rather than FastAPI routes so faults can act at
the connection level (drop it, stall it, cut the body short).
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import re
import time
from collections import Counter, deque
from urllib.parse import parse_qsl

from .config import SimConfig
from .errors import ApiError, no_access
from .faults import Faults, drop_connection
from .oauth import OAuthHttp, OAuthState, Principal, bearer_token, out_of_scope
from .ratelimit import RateLimiter, retry_after_header
from .routes import Api
from .schema import LATEST_VERSIONS
from .serialize import Renderer
from .store import Store

CONTENT_TYPE = "application/vnd.api+json; charset=utf-8"
VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ADMIN_PREFIX = "/__admin"


class Simulation:
    """Everything one running simulator holds; shared by the PCO and admin sides."""

    def __init__(self, config: SimConfig | None = None, store: Store | None = None,
                 fault_seed: int = 0):
        self.config = config or SimConfig()
        self.store = store or Store(self.config)
        self.api = Api(self.store)
        self.limiter = RateLimiter(self.config)
        self.faults = Faults(fault_seed)
        self.oauth = OAuthState(self.config, self.store)
        self.requests: deque = deque(maxlen=20_000)
        self.counters: Counter = Counter()
        self.base_url = "http://127.0.0.1"
        self.webhooks = None  # set by the server when deliveries run

    def record(self, method: str, path: str, query: str, status: int, credential: str | None,
               started: float, fault: str | None = None, route: str | None = None) -> None:
        found = None if route else self.api.match(path)
        template = route or (found[0].template if found else "(unknown)")
        self.counters[(method, template, status)] += 1
        self.requests.append({"at": time.time(), "method": method, "path": path,
                              "query": query, "route": template, "status": status,
                              "credential": credential, "fault": fault,
                              "ms": round((time.monotonic() - started) * 1000, 2)})


def _json_body(doc) -> bytes:
    return b"" if doc is None else json.dumps(doc, separators=(",", ":")).encode()


class PcoApp:
    def __init__(self, sim: Simulation, admin_app):
        self.sim, self.admin = sim, admin_app
        self.oauth = OAuthHttp(sim)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            return await self.admin(scope, receive, send)
        if scope["path"].startswith("/oauth/"):
            return await self.oauth(scope, receive, send)
        await self.pco(scope, receive, send)

    async def pco(self, scope, receive, send):
        sim, started = self.sim, time.monotonic()
        method, path = scope["method"], scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host") or "127.0.0.1"
        sim.base_url = f"http://{host}"
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break

        fault = sim.faults.pick(method, path)
        if fault and fault.kind in ("drop", "timeout"):
            if fault.kind == "timeout":
                await asyncio.sleep(fault.delay)
            sim.record(method, path, query, 0, None, started, fault.kind)
            return await drop_connection(send)
        if fault and fault.kind == "slow":
            await asyncio.sleep(fault.delay)

        extra: dict[str, str] = {}
        credential = None
        try:
            principal = self.authenticate(headers.get("authorization"))
            credential = principal.credential
            decision = sim.limiter.hit(credential, deep=_deep_offset(query, sim.config))
            extra.update(decision.headers())
            if not decision.allowed:
                extra["Retry-After"] = retry_after_header(decision.retry_after)
                raise ApiError(429, "Too Many Requests",
                               f"Rate limit exceeded: {decision.count} of {decision.limit} "
                               f"requests per {extra['X-PCO-API-Request-Rate-Period']} seconds",
                               code="429")
            if fault and fault.kind == "error":
                raise ApiError(fault.status, "Service Unavailable" if fault.status == 503
                               else "Internal Server Error", "Something went wrong on our end")
            app = path.strip("/").split("/")[0]
            if app in sim.config.without_products:
                raise no_access()
            if not principal.allows(app):
                raise out_of_scope(app)
            version = self.version(app, headers.get("x-pco-api-version"))
            extra["X-PCO-API-Processed-As-Version"] = version
            renderer = Renderer(sim.store, sim.base_url, version)
            params = parse_qsl(query, keep_blank_values=True)
            status, doc = sim.api.handle(method, path, params, body, renderer, principal)
        except ApiError as err:
            status, doc = err.status, err.body()
            if err.code == "429":  # PCO's 429 body names only code and detail
                doc = {"errors": [{"code": "429", "detail": err.detail}]}
            extra.update(err.headers)
        except Exception as exc:  # a simulator bug must still answer like a server would
            status, doc = 500, ApiError(500, "Internal Server Error", type(exc).__name__).body()
        raw = _json_body(doc)
        if fault and fault.kind == "truncate" and raw:
            raw = raw[: max(1, len(raw) // 2)]
        sim.record(method, path, query, status, credential, started,
                   fault.kind if fault else None)
        await respond(send, status, raw, extra, json_body=doc is not None)

    def authenticate(self, header: str | None) -> Principal:
        """A personal access token (HTTP Basic app id and secret) or an OAuth access token
        (`Authorization: Bearer`); anything else is PCO's 401."""
        token = bearer_token(header)
        if token is not None:
            return self.sim.oauth.principal(token)
        cfg = self.sim.config
        unauthorized = ApiError(401, "Unauthorized",
                                "A valid Personal Access Token or OAuth token is required",
                                code="unauthorized")
        if not header or not header.lower().startswith("basic "):
            raise unauthorized
        try:
            app_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise unauthorized from None
        ok = hmac.compare_digest(app_id.encode(), cfg.app_id.encode()) & \
            hmac.compare_digest(secret.encode(), cfg.secret.encode())
        if not ok:
            raise unauthorized
        return Principal(app_id, "basic")

    @staticmethod
    def version(app: str, asked: str | None) -> str:
        latest = LATEST_VERSIONS.get(app, "2018-08-01")
        if not asked:
            return latest
        if not VERSION.match(asked.strip()):
            raise ApiError(400, "Bad Request", f"Invalid API version {asked!r}",
                           code="invalid_api_version")
        return min(asked.strip(), latest)


def _deep_offset(query: str, config: SimConfig) -> bool:
    for k, v in parse_qsl(query):
        if k == "offset" and v.isdigit() and int(v) > config.deep_offset_threshold:
            return True
    return False


async def respond(send, status: int, raw: bytes, extra: dict, json_body: bool = True):
    headers = [(b"content-length", str(len(raw)).encode())]
    if json_body:
        headers.append((b"content-type", CONTENT_TYPE.encode()))
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
