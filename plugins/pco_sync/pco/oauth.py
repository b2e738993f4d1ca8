"""Planning Center's OAuth 2 (../docs/connecting.md): the deployment's OAuth application and
the two grants it uses, as RFC 6749 and PCO describe them.

One application (client id and secret) serves every church; each church connects by a
person signing in to Planning Center and approving the scopes (authorization code). Access
tokens live two hours; a refresh token can be used once (a second use fails with
invalid_grant and the church must connect again), and PCO has revoked refresh tokens early.
pco_sync.pco.tokens keeps each church's tokens and refreshes them one process at a time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import requests

from pco_sync.errors import PcoError

# PCO's scopes are per product, named as the product's path (/people/v2/..., ...) and its
# webhook events (people.v2.events....): what a church's sync asks for when it connects.
SCOPES = ("people", "groups", "calendar", "services")
TIMEOUT = (5, 30)


def scope_of(path_or_event: str) -> str:
    """The scope a request path (/services/v2/teams) or webhook event name
    (groups.v2.events.membership.created) needs: its product."""
    return path_or_event.lstrip("/").replace("/", ".").split(".")[0]


class OAuthError(PcoError):
    """The token endpoint refused a grant; `error` is RFC 6749's code (invalid_grant, ...)."""

    def __init__(self, message: str, *, error: str = "", status: int | None = None):
        super().__init__(message, status=status, endpoint="POST /oauth/token", detail=message)
        self.error = error


@dataclass(frozen=True)
class Grant:
    """What the token endpoint answered. Never logged: repr hides the tokens."""

    access_token: str
    refresh_token: str
    expires_at: datetime
    scopes: tuple[str, ...]

    def __repr__(self) -> str:
        return f"Grant(expires_at={self.expires_at.isoformat()}, scopes={self.scopes})"


@dataclass(frozen=True)
class OAuthApp:
    """The deployment's OAuth application: PCO's base URL, client id and secret."""

    base_url: str
    client_id: str
    client_secret: str

    def __repr__(self) -> str:
        return f"OAuthApp({self.base_url!r}, client_id={self.client_id!r})"

    def authorize_url(self, redirect_uri: str, scopes: list[str] | tuple[str, ...],
                      state: str) -> str:
        query = urlencode({"response_type": "code", "client_id": self.client_id,
                           "redirect_uri": redirect_uri, "scope": " ".join(scopes),
                           "state": state})
        return f"{self.base_url.rstrip('/')}/oauth/authorize?{query}"

    def exchange(self, code: str, redirect_uri: str) -> Grant:
        """The authorization code a person's approval gave, for the church's first tokens."""
        return self._token({"grant_type": "authorization_code", "code": code,
                            "redirect_uri": redirect_uri})

    def refresh(self, refresh_token: str) -> Grant:
        """A new access and refresh token; the one given is spent, whatever happens next."""
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def _token(self, form: dict) -> Grant:
        url = f"{self.base_url.rstrip('/')}/oauth/token"
        form = {**form, "client_id": self.client_id, "client_secret": self.client_secret}
        try:
            resp = requests.post(url, data=form, timeout=TIMEOUT,
                                 headers={"Accept": "application/json"})
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise OAuthError(f"no answer from {url}: {type(exc).__name__}") from None
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if resp.status_code != 200 or "access_token" not in body:
            error = str(body.get("error") or f"HTTP {resp.status_code}")
            described = body.get("error_description") or ""
            raise OAuthError(f"PCO refused the {form['grant_type'].replace('_', ' ')} grant: "
                             f"{error}{': ' + described if described else ''}",
                             error=error, status=resp.status_code)
        now = datetime.now(timezone.utc)
        return Grant(body["access_token"], body.get("refresh_token") or "",
                     now + timedelta(seconds=int(body.get("expires_in") or 7200)),
                     tuple(str(body.get("scope") or "").split()))
