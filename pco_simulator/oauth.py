"""PCO's OAuth 2 (authorization code flow), as a multi-church integration meets it.

- `GET /oauth/authorize` shows a consent page, or with `simulator_approve=1` approves at
  once (the stand-in for the person's click) and redirects to `redirect_uri` with `code` and
  `state`. Codes are single use and live `oauth_code_seconds` (10 minutes) of the simulator
  clock.
- `POST /oauth/token` takes the grants `authorization_code` and `refresh_token` and answers
  Doorkeeper's JSON (PCO runs Doorkeeper): `access_token`, `token_type` "bearer",
  `expires_in`, `refresh_token`, `scope`, `created_at`. A refresh token works once (#602).
- An access token (`Authorization: Bearer ...`) acts as the person who approved, in the
  organization of the simulator that issued it, for the products in its scopes only.

Tokens are opaque random hex strings. Only their SHA-256 digests are kept (in memory and in
a `serve --state` file, so a restart keeps every church connected); nothing here logs one.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .config import OAuthClient, SimConfig
from .errors import ApiError
from .faults import drop_connection
from .store import Store, display_name

# Scopes PCO accepts at /oauth/authorize (developers#675 groups, #751 calendar; `api` is
# not one, #906). `webhooks` is listed in ../shared/pco-api-notes.md.
SCOPES = ("people", "groups", "calendar", "services", "check_ins", "giving",
          "registrations", "publishing", "webhooks")
DEFAULT_SCOPE = "people"
# The scope each product's API needs; /webhooks/v2 needs none (developers#596, #617: a
# token without the product's scope reaches it and is refused per event).
PRODUCT_SCOPES = {"people": "people", "groups": "groups", "calendar": "calendar",
                  "services": "services", "check_ins": "check_ins", "giving": "giving",
                  "registrations": "registrations", "publishing": "publishing",
                  "resources": "calendar"}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")

# Doorkeeper's English error descriptions, as PCO answers them (developers#284, #667).
DESCRIPTIONS = {
    "invalid_grant": "The provided authorization grant is invalid, expired, revoked, does not "
                     "match the redirection URI used in the authorization request, or was "
                     "issued to another client.",
    "invalid_client": "Client authentication failed due to unknown client, no client "
                      "authentication included, or unsupported authentication method.",
    "invalid_request": "The request is missing a required parameter, includes an unsupported "
                       "parameter value, or is otherwise malformed.",
    "unsupported_grant_type": "The authorization grant type is not supported by the "
                              "authorization server.",
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
    "access_denied": "The resource owner or authorization server denied the request.",
    "unsupported_response_type": "The authorization server does not support this response "
                                 "type.",
    "invalid_redirect_uri": "The requested redirect uri is malformed or doesn't match client "
                            "redirect URI.",
}


@dataclass(frozen=True)
class Principal:
    """Who a PCO request acts as. `credential` keys the rate limiter and is what the request
    log shows: the app id for a personal access token, `oauth:<client>:<person>` for a
    token (never the token itself)."""

    credential: str
    kind: str  # "basic" | "oauth"
    user_id: str | None = None
    client_id: str | None = None
    scopes: tuple[str, ...] = ()

    @property
    def oauth(self) -> bool:
        return self.kind == "oauth"

    def allows(self, product: str) -> bool:
        needed = PRODUCT_SCOPES.get(product)
        return not self.oauth or needed is None or needed in self.scopes


class OAuthError(Exception):
    def __init__(self, error: str, status: int = 400, description: str | None = None):
        super().__init__(error)
        self.error, self.status = error, status
        self.description = description or DESCRIPTIONS.get(error, error)

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


def default_user_id(store: Store) -> str:
    """The person who approves when the request names none: `oauth_user_id` if set, else the
    organization's first person (lowest id), else "1" for an account with no people."""
    if store.config.oauth_user_id:
        return str(store.config.oauth_user_id)
    people = store.tables["people"]
    return min(people, key=int) if people else "1"


def out_of_scope(product: str) -> ApiError:
    # PCO's words for a token whose scopes leave the product out (developers#129, #123).
    return ApiError(403, "Forbidden",
                    f"The API credentials do not have access to the application {product}",
                    code="request_outside_authenticated_scope")


def subscription_out_of_scope(name: str, scopes) -> ApiError:
    # developers#596, #617: the exact body PCO answers.
    return ApiError(422, "Validation Error",
                    f'Event "{name}" is not available for subscription within current '
                    f'OAuth2 scope ({" ".join(scopes)}).', parameter="base",
                    meta={"resource": "Subscription", "associated_resources": []})


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OAuthState:
    """Codes, grants (one per approval), access and refresh tokens of one simulator, keyed
    by the digest of the code or token. `version` counts changes (the state file saves
    after them)."""

    TABLES = ("codes", "grants", "access", "refresh")

    def __init__(self, config: SimConfig, store: Store):
        self.config, self.store = config, store
        self.lock = threading.RLock()
        self.version = 0
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.codes: dict[str, dict] = {}
            self.grants: dict[str, dict] = {}
            self.access: dict[str, dict] = {}
            self.refresh: dict[str, dict] = {}
            self.next_grant = 1
            self.version += 1

    def dump(self) -> dict:
        with self.lock:
            return {"next_grant": self.next_grant,
                    **{t: json.loads(json.dumps(getattr(self, t))) for t in self.TABLES}}

    def load(self, data: dict | None) -> None:
        with self.lock:
            self.reset()
            if data:
                for t in self.TABLES:
                    getattr(self, t).update(data.get(t) or {})
                self.next_grant = int(data.get("next_grant") or 1)

    # ---- clock: wall time plus the admin clock's advance, in seconds ----------------------
    def now(self) -> float:
        return time.time() + self.store.clock_offset.total_seconds()

    def access_lifetime(self) -> float:
        return self.config.oauth_access_seconds * self.config.time_scale

    def refresh_lifetime(self) -> float:
        return self.config.oauth_refresh_seconds * self.config.time_scale

    # ---- authorize ------------------------------------------------------------------------
    def new_code(self, client: OAuthClient, redirect_uri: str, scopes: tuple[str, ...],
                 user_id: str) -> str:
        code = secrets.token_hex(32)
        with self.lock:
            self.version += 1
            self.codes[digest(code)] = {"client_id": client.client_id, "redirect_uri": redirect_uri,
                                "scopes": scopes, "user_id": user_id,
                                "expires_at": self.now() + self.config.oauth_code_seconds,
                                "used": False}
        return code

    # ---- token ----------------------------------------------------------------------------
    def client(self, client_id: str | None, secret: str | None) -> OAuthClient:
        client = self.config.oauth_client(client_id)
        if client is None or secret is None or not hmac.compare_digest(
                secret.encode(), client.secret.encode()):
            raise OAuthError("invalid_client", 401)
        return client

    def exchange_code(self, client: OAuthClient, code: str | None,
                      redirect_uri: str | None) -> dict:
        if not code:
            raise OAuthError("invalid_request", description="Missing required parameter: code.")
        with self.lock:
            rec = self.codes.get(digest(code))
            if (rec is None or rec["used"] or rec["client_id"] != client.client_id
                    or self.now() >= rec["expires_at"] or rec["redirect_uri"] != redirect_uri):
                raise OAuthError("invalid_grant")
            rec["used"] = True
            self.version += 1
            gid = str(self.next_grant)
            self.next_grant += 1
            self.grants[gid] = {
                "id": gid, "client_id": client.client_id, "user_id": rec["user_id"],
                "organization_id": self.config.organization_id, "scopes": rec["scopes"],
                "created_at": int(self.now()), "refreshes": 0}
            return self._issue(gid)

    def use_refresh_token(self, client: OAuthClient, token: str | None) -> dict:
        if not token:
            raise OAuthError("invalid_request",
                             description="Missing required parameter: refresh_token.")
        with self.lock:
            rec = self.refresh.get(digest(token))
            if rec is None or rec["used_at"] is not None or rec["revoked_at"] is not None \
                    or self.now() >= rec["expires_at"]:
                raise OAuthError("invalid_grant")
            grant = self.grants[rec["grant_id"]]
            if grant["client_id"] != client.client_id:
                raise OAuthError("invalid_grant")
            # Single use (#602). The access token issued with it lives on until it expires.
            rec["used_at"] = self.now()
            self.version += 1
            grant["refreshes"] += 1
            return self._issue(grant["id"])

    def _issue(self, gid: str) -> dict:
        grant, now = self.grants[gid], self.now()
        access, refresh = secrets.token_hex(32), secrets.token_hex(32)
        lifetime = self.access_lifetime()
        self.access[digest(access)] = {"grant_id": gid, "created_at": now,
                               "expires_at": now + lifetime, "revoked_at": None}
        self.refresh[digest(refresh)] = {"grant_id": gid, "created_at": now,
                                 "expires_at": now + self.refresh_lifetime(),
                                 "used_at": None, "revoked_at": None}
        return {"access_token": access, "token_type": "bearer",
                "expires_in": max(1, round(lifetime)), "refresh_token": refresh,
                "scope": " ".join(grant["scopes"]), "created_at": int(now)}

    # ---- the API side ---------------------------------------------------------------------
    def principal(self, token: str) -> Principal:
        with self.lock:
            rec = self.access.get(digest(token))
            if rec is None:
                raise _unauthorized("unknown access token")
            if rec["revoked_at"] is not None:
                raise _unauthorized("revoked access token")
            if self.now() >= rec["expires_at"]:
                raise _unauthorized("expired access token")
            grant = self.grants[rec["grant_id"]]
            if grant["organization_id"] != self.config.organization_id:
                raise _unauthorized("token of another organization")
            return Principal(f"oauth:{grant['client_id']}:{grant['user_id']}", "oauth",
                             grant["user_id"], grant["client_id"], tuple(grant["scopes"]))

    # ---- admin ----------------------------------------------------------------------------
    def _grant_ids(self, client_id: str | None, user_id: str | None) -> set[str]:
        return {g["id"] for g in self.grants.values()
                if (client_id is None or g["client_id"] == client_id)
                and (user_id is None or g["user_id"] == str(user_id))}

    def revoke(self, client_id: str | None = None, user_id: str | None = None,
               tokens: str = "both") -> dict:
        """Revoke the access and/or refresh tokens of the matching grants (all when neither
        client nor user is given), as PCO's bulk revocations did (#879, #1310)."""
        if tokens not in ("both", "access", "refresh"):
            raise ValueError("tokens must be both, access or refresh")
        counts = {"access_tokens": 0, "refresh_tokens": 0}
        with self.lock:
            gids, now = self._grant_ids(client_id, user_id), self.now()
            kinds = [("access_tokens", self.access), ("refresh_tokens", self.refresh)]
            for name, table in kinds:
                if tokens != "both" and not name.startswith(tokens):
                    continue
                for rec in table.values():
                    if rec["grant_id"] in gids and rec["revoked_at"] is None \
                            and now < rec["expires_at"] and rec.get("used_at") is None:
                        rec["revoked_at"] = now
                        counts[name] += 1
            self.version += 1
        return {"revoked": counts, "grants": len(gids)}

    def expire(self, client_id: str | None = None, user_id: str | None = None) -> dict:
        """End the matching access tokens now; their refresh tokens keep working."""
        n = 0
        with self.lock:
            gids, now = self._grant_ids(client_id, user_id), self.now()
            for rec in self.access.values():
                if rec["grant_id"] in gids and rec["revoked_at"] is None \
                        and now < rec["expires_at"]:
                    rec["expires_at"] = now
                    n += 1
            self.version += 1
        return {"expired": {"access_tokens": n}, "grants": len(gids)}

    def describe(self) -> list[dict]:
        """Grants with what is alive under each; no token, code or secret."""
        out = []
        with self.lock:
            now = self.now()
            for g in sorted(self.grants.values(), key=lambda g: int(g["id"])):
                access = [a for a in self.access.values() if a["grant_id"] == g["id"]]
                live = [a for a in access if a["revoked_at"] is None and now < a["expires_at"]]
                refresh = [r for r in self.refresh.values() if r["grant_id"] == g["id"]
                           and r["used_at"] is None and r["revoked_at"] is None
                           and now < r["expires_at"]]
                person = self.store.find("people", g["user_id"])
                out.append({
                    "id": g["id"], "client_id": g["client_id"], "user_id": g["user_id"],
                    "user_name": display_name(person) if person else None,
                    "organization_id": g["organization_id"], "scopes": list(g["scopes"]),
                    "created_at": g["created_at"], "refreshes": g["refreshes"],
                    "live_access_tokens": len(live),
                    "access_expires_at": int(max(a["expires_at"] for a in live)) if live
                    else None,
                    "refresh_token_usable": bool(refresh)})
        return out


def _unauthorized(hint: str) -> ApiError:
    # PCO's 401 for a token it cannot use (developers#1059), with a simulator hint.
    return ApiError(401, "Unauthorized",
                    f"This request could not be authenticated. Error Code Hint: ({hint})",
                    code="unauthorized")


def bearer_token(header: str | None) -> str | None:
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


# ---- the HTTP side ------------------------------------------------------------------------
def redirect_allowed(client: OAuthClient, uri: str) -> bool:
    if client.redirect_uris:
        return uri in client.redirect_uris
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and (parts.hostname or "") in LOCAL_HOSTS \
        and not parts.fragment


def with_query(uri: str, params: dict) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + [
        (k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:34em;margin:3em auto;color:#222}}
a.button{{display:inline-block;padding:.5em 1.2em;margin-right:1em;border-radius:4px;
text-decoration:none;border:1px solid #2266cc}}a#approve{{background:#2266cc;color:#fff}}
a#deny{{color:#2266cc}}li{{margin:.2em 0}}</style></head>
<body>{body}<p><small>PCO simulator (not Planning Center)</small></p></body></html>"""


def page(title: str, body: str) -> bytes:
    return PAGE.format(title=html.escape(title), body=body).encode()


class OAuthHttp:
    """ASGI handler for /oauth/authorize and /oauth/token."""

    def __init__(self, sim):
        self.sim = sim

    async def __call__(self, scope, receive, send):
        started = time.monotonic()
        method, path = scope["method"], scope["path"].rstrip("/")
        query = scope.get("query_string", b"").decode("latin-1")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        credential = None
        # Faults act on the token endpoint as on the API (a 503 or a dropped connection
        # during a refresh), before the request is processed.
        fault = self.sim.faults.pick(method, path) if path == "/oauth/token" else None
        if fault and fault.kind in ("drop", "timeout"):
            if fault.kind == "timeout":
                await asyncio.sleep(fault.delay)
            self.sim.record(method, path, "", 0, None, started, fault.kind, route=path)
            return await drop_connection(send)
        if fault and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        if fault and fault.kind == "error":
            status, hdrs = fault.status, {"Content-Type": "application/json; charset=utf-8"}
            raw = json.dumps(ApiError(fault.status, "Service Unavailable" if fault.status == 503
                                      else "Internal Server Error",
                                      "Something went wrong on our end").body()).encode()
        elif path == "/oauth/authorize" and method in ("GET", "HEAD"):
            status, hdrs, raw = self.authorize(dict(parse_qsl(query, keep_blank_values=True)))
        elif path == "/oauth/token" and method == "POST":
            status, hdrs, raw, credential = self.token(headers, body)
        elif path in ("/oauth/authorize", "/oauth/token"):
            status, hdrs, raw = 405, {"Allow": "GET" if path.endswith("authorize")
                                      else "POST"}, b""
        else:
            status, hdrs, raw = 404, {"Content-Type": "text/plain"}, b"Not Found"
        if fault and fault.kind == "truncate" and raw:
            raw = raw[: max(1, len(raw) // 2)]
        self.sim.record(method, path, "" if path == "/oauth/authorize" else query, status,
                        credential, started, fault.kind if fault else None,
                        route=path if path.startswith("/oauth/") else None)
        out = [(b"content-length", str(len(raw)).encode())]
        out += [(k.lower().encode(), v.encode()) for k, v in hdrs.items()]
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else raw})

    # ---- GET /oauth/authorize -------------------------------------------------------------
    def authorize(self, q: dict):
        cfg, store, state = self.sim.config, self.sim.store, self.sim.oauth
        client = cfg.oauth_client(q.get("client_id"))
        if client is None:
            return self.error_page(DESCRIPTIONS["invalid_client"])
        redirect_uri = q.get("redirect_uri")
        if not redirect_uri and len(client.redirect_uris) == 1:
            redirect_uri = client.redirect_uris[0]
        if not redirect_uri or not redirect_allowed(client, redirect_uri):
            return self.error_page(DESCRIPTIONS["invalid_redirect_uri"])
        st = q.get("state")

        def back(**params):
            return 302, {"Location": with_query(redirect_uri, {**params, "state": st}),
                         "Cache-Control": "no-store"}, b""

        if q.get("response_type") != "code":
            return back(error="unsupported_response_type",
                        error_description=DESCRIPTIONS["unsupported_response_type"])
        asked = (q.get("scope") or DEFAULT_SCOPE).replace("+", " ").split()
        scopes = tuple(dict.fromkeys(asked))
        if not scopes or any(s not in SCOPES for s in scopes):
            return self.error_page(DESCRIPTIONS["invalid_scope"])
        if q.get("simulator_deny") == "1":
            return back(error="access_denied", error_description=DESCRIPTIONS["access_denied"])
        user_id = str(q.get("simulator_user") or default_user_id(store))
        person = store.find("people", user_id)
        if person is None and (q.get("simulator_user") or store.tables["people"]):
            return self.error_page(f"No person {html.escape(user_id)} in this organization "
                                   f"(simulator_user).")
        if q.get("simulator_approve") == "1":
            code = state.new_code(client, redirect_uri, scopes, user_id)
            return back(code=code)
        base = {k: v for k, v in q.items() if k not in ("simulator_approve", "simulator_deny")}
        approve = "/oauth/authorize?" + urlencode({**base, "simulator_approve": "1"})
        deny = "/oauth/authorize?" + urlencode({**base, "simulator_deny": "1"})
        org = store.organization()
        who = display_name(person) if person else f"person {user_id}"
        items = "".join(f'<li class="scope">{html.escape(s)}</li>' for s in scopes)
        body = (f'<h1>Authorize {html.escape(client.name)}</h1>'
                f'<p><strong>{html.escape(client.name)}</strong> would like to access '
                f'<strong id="organization">{html.escape(str(org["name"]))}</strong> '
                f'(organization {html.escape(str(org["id"]))}) as '
                f'<span id="user">{html.escape(who)}</span>:</p><ul id="scopes">{items}</ul>'
                f'<p><a class="button" id="approve" href="{html.escape(approve)}">Approve</a>'
                f'<a class="button" id="deny" href="{html.escape(deny)}">Deny</a></p>')
        return 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}, \
            page("Authorize application", body)

    @staticmethod
    def error_page(message: str):
        body = f"<h1>An error has occurred</h1><p id=\"error\">{html.escape(message)}</p>"
        return 400, {"Content-Type": "text/html; charset=utf-8"}, page("Error", body)

    # ---- POST /oauth/token ----------------------------------------------------------------
    def token(self, headers: dict, body: bytes):
        state, credential = self.sim.oauth, None
        try:
            form = parse_form(headers.get("content-type", ""), body)
            client_id, secret = form.get("client_id"), form.get("client_secret")
            basic = basic_credentials(headers.get("authorization"))
            if basic and not client_id:
                client_id, secret = basic
            credential = f"client:{client_id}" if client_id else None
            grant_type = form.get("grant_type")
            if not grant_type:
                raise OAuthError("invalid_request",
                                 description="Missing required parameter: grant_type.")
            if grant_type not in ("authorization_code", "refresh_token"):
                raise OAuthError("unsupported_grant_type")
            client = state.client(client_id, secret)
            if grant_type == "authorization_code":
                doc = state.exchange_code(client, form.get("code"), form.get("redirect_uri"))
            else:
                doc = state.use_refresh_token(client, form.get("refresh_token"))
            status = 200
        except OAuthError as err:
            status, doc = err.status, err.body()
        hdrs = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store",
                "Pragma": "no-cache"}
        if status == 401:
            hdrs["WWW-Authenticate"] = 'Bearer realm="Doorkeeper", error="invalid_client"'
        return status, hdrs, json.dumps(doc).encode(), credential


def parse_form(content_type: str, body: bytes) -> dict:
    """RFC 6749's form body; JSON bodies are read too (PCO accepts them, developers#1318)
    and multipart (curl -F, developers#415)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise OAuthError("invalid_request") from None
        return {k: str(v) for k, v in data.items() if v is not None} \
            if isinstance(data, dict) else {}
    if kind == "multipart/form-data":
        return parse_multipart(content_type, body)
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def parse_multipart(content_type: str, body: bytes) -> dict:
    from email.parser import BytesParser
    msg = BytesParser().parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n"
                                   + body)
    out = {}
    for part in msg.walk() if msg.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        if name and not part.is_multipart():
            out[name] = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    return out


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password
