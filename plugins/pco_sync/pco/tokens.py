"""A church's Planning Center OAuth tokens: kept, refreshed safely, used as Bearer auth.

Tokens live in the church's database (sync.pco_oauth, migration 082), encrypted with
Airflow's Fernet key: every process that talks to the church's PCO reads the same row.

Refresh never loses a church:
- an access token is refreshed a few minutes before it expires, and after a 401;
- one process at a time per church: the refresh holds the row's lock (SELECT ... FOR
  UPDATE) across the token request, so a second process waits, then finds the new tokens
  and uses them instead of spending the already spent refresh token;
- the new refresh token is committed before the new access token is used;
- a refresh token PCO refuses (invalid_grant: revoked, used twice) marks the church
  disconnected and raises PcoDisconnected, naming the church and how to reconnect; nothing
  else is touched, so the next run after reconnecting goes on where this one stopped.
Tokens never appear in logs, errors or reprs.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Callable

import psycopg
import requests

from pco_sync import sqlfiles
from pco_sync.errors import PcoDisconnected, PcoError
from pco_sync.pco.oauth import Grant, OAuthApp, OAuthError

log = logging.getLogger(__name__)

MARGIN = timedelta(minutes=5)  # refresh this long before PCO's expiry (at most a tenth of
# the token's life: a simulator on a fast clock issues short ones)


def margin(issued_at: datetime, expires_at: datetime) -> timedelta:
    return min(MARGIN, (expires_at - issued_at) / 10)
CONNECT_PAGE = "/pco-sync/connect/{dag_id}"


def disconnected(church: str, reason: str) -> PcoDisconnected:
    return PcoDisconnected(church, reason, CONNECT_PAGE.format(dag_id=dag_id_of(church)))


def dag_id_of(church: str) -> str:
    """A church's sync DAG id (pco_sync.churches.dag_id, without importing the file)."""
    return "pco_sync" if church == "default" else f"pco_sync__{church}"


class TokenStore:
    """One church's tokens in its database. connect: a new psycopg connection (closed
    here); fernet: what encrypts them (default Airflow's, from [core] fernet_key)."""

    def __init__(self, connect: Callable[[], psycopg.Connection], church: str,
                 app: OAuthApp | None = None, fernet=None):
        self.connect, self.church, self.app = connect, church, app
        self._fernet = fernet
        self.scopes: tuple[str, ...] | None = None  # as granted, once the tokens were read
        self.margin = MARGIN

    def __repr__(self) -> str:
        return f"TokenStore(church={self.church!r})"

    @property
    def fernet(self):
        if self._fernet is None:
            from airflow.models.crypto import get_fernet

            self._fernet = get_fernet()
        return self._fernet

    def _seal(self, text: str) -> str:
        return self.fernet.encrypt(text.encode()).decode()

    def _open(self, text: str) -> str:
        return self.fernet.decrypt(text.encode()).decode()

    # ---- connecting -----------------------------------------------------------------------
    def connected(self, grant: Grant, *, organization_id: str, organization_name: str | None,
                  pco_person_id: str | None = None, pco_person_name: str | None = None,
                  connected_by: str | None = None) -> None:
        """Store a person's approval (a first connect or a reconnect)."""
        with self.connect() as conn:
            conn.execute(sqlfiles.read("oauth/tokens_connected.sql"), {
                "church": self.church, "access_token": self._seal(grant.access_token),
                "refresh_token": self._seal(grant.refresh_token),
                "expires_at": grant.expires_at, "scopes": list(grant.scopes),
                "organization_id": organization_id, "organization_name": organization_name,
                "pco_person_id": pco_person_id, "pco_person_name": pco_person_name,
                "connected_by": connected_by})
            conn.commit()

    def status(self) -> dict | None:
        """What the pages show (no tokens); None: never connected."""
        with self.connect() as conn:
            cur = conn.cursor(row_factory=psycopg.rows.dict_row)
            return cur.execute(sqlfiles.read("oauth/connection_status.sql"),
                               {"church": self.church}).fetchone()

    # ---- using ----------------------------------------------------------------------------
    def current(self) -> tuple[str, datetime]:
        """The stored access token and its expiry, refreshed first when it is about to end."""
        with self.connect() as conn:
            row = conn.execute(sqlfiles.read("oauth/tokens_read.sql"),
                               {"church": self.church}).fetchone()
        access, _, expires_at = self._usable(row)
        self.scopes, self.margin = tuple(row[5]), margin(row[6], expires_at)
        if expires_at - datetime.now(timezone.utc) > self.margin:
            return access, expires_at
        return self.refresh(stale=access)

    def refresh(self, stale: str | None) -> tuple[str, datetime]:
        """A fresh access token. `stale`: the one that failed or is ending; if another
        process already replaced it, its new token is used and nothing is spent."""
        with self.connect() as conn:
            with conn.transaction():
                row = conn.execute(sqlfiles.read("oauth/tokens_lock.sql"),
                                   {"church": self.church}).fetchone()
                access, refresh_token, expires_at = self._usable(row)
                self.scopes, self.margin = tuple(row[5]), margin(row[6], expires_at)
                if access != stale and expires_at - datetime.now(timezone.utc) > self.margin:
                    log.info("PCO tokens of church %r were refreshed by another process",
                             self.church)
                    return access, expires_at
                if self.app is None:
                    raise PcoError("no OAuth application to refresh the church's tokens with")
                try:
                    grant = self.app.refresh(self._open(refresh_token))
                except OAuthError as exc:
                    if exc.error != "invalid_grant":
                        raise  # PCO unreachable or failing: the tokens may still be good
                    refused = exc
                else:
                    refused, self.scopes = None, grant.scopes
                    self.margin = margin(datetime.now(timezone.utc), grant.expires_at)
                    conn.execute(sqlfiles.read("oauth/tokens_refreshed.sql"), {
                        "church": self.church, "access_token": self._seal(grant.access_token),
                        "refresh_token": self._seal(grant.refresh_token),
                        "expires_at": grant.expires_at, "scopes": list(grant.scopes)})
                if refused is not None:
                    reason = f"PCO refused its refresh token: {refused.detail}"
                    conn.execute(sqlfiles.read("oauth/tokens_disconnected.sql"),
                                 {"church": self.church, "reason": reason})
            conn.commit()
        if refused is not None:
            log.error("church %r: %s", self.church, reason)
            raise disconnected(self.church, reason) from None
        log.info("PCO tokens of church %r refreshed; valid until %s", self.church,
                 grant.expires_at.isoformat())
        return grant.access_token, grant.expires_at

    def _usable(self, row) -> tuple[str, str, datetime]:
        if row is None:
            raise disconnected(self.church, "never connected")
        access, refresh_token, expires_at, disconnected_at, reason = row[:5]
        if disconnected_at is not None:
            raise disconnected(self.church, reason or "disconnected")
        return self._open(access), refresh_token, expires_at


class BearerAuth(requests.auth.AuthBase):
    """requests auth for a church connected by OAuth: its access token as a Bearer header,
    refreshed before it expires; PcoClient calls unauthorized() after a 401."""

    def __init__(self, store: TokenStore):
        self.store = store
        self._token: str | None = None
        self._expires_at: datetime | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BearerAuth({self.store!r})"

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token()}"
        return r

    def token(self) -> str:
        with self._lock:
            if self._token is None or \
                    self._expires_at - datetime.now(timezone.utc) <= self.store.margin:
                self._token, self._expires_at = self.store.current()
            return self._token

    def scopes(self) -> tuple[str, ...]:
        """What the church granted (pco_sync.pco.oauth.SCOPES)."""
        self.token()
        return self.store.scopes or ()

    def unauthorized(self) -> None:
        """PCO answered 401 to the token in use: refresh it (or take another process's)."""
        with self._lock:
            self._token, self._expires_at = self.store.refresh(stale=self._token)
