"""PcoHook: the Airflow connection ``pco_default`` turned into a PcoClient.

Connection fields: host = base URL (``https://api.planningcenteronline.com`` or the
simulator), login = application id, password = secret (a personal access token). With
``auth_mode`` ``oauth`` (extra) the church signs in with Planning Center instead: its tokens
are in its database (pco_sync.pco.tokens), refreshed with the OAuth application of the
connection ``oauth_app_conn_id`` (login = client id, password = client secret).
The form itself is declared in pco_sync.airflow.provider (Airflow 3.2+ reads it from provider info).
"""
from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from pco_sync.errors import PcoError
from pco_sync.pco.client import PcoClient

from pco_sync.airflow.provider import (AUTH_OAUTH, AUTH_PERSONAL, CONN_TYPE, DEFAULT_BASE_URL,
                                       HOOK_NAME, OAUTH_APP_CONN_ID, UI_FIELD_BEHAVIOUR)


class PcoHook(BaseHook):
    """Interact with Planning Center Online through :class:`pco_sync.pco.client.PcoClient`.

    :param pco_conn_id: the Airflow connection of type ``pco`` (default ``pco_default``)
    :param client_kwargs: passed to PcoClient (timeouts, retries, ...)
    """

    conn_name_attr = "pco_conn_id"
    default_conn_name = "pco_default"
    conn_type = CONN_TYPE
    hook_name = HOOK_NAME

    def __init__(self, pco_conn_id: str = default_conn_name, church=None,
                 **client_kwargs: Any) -> None:
        super().__init__()
        self.pco_conn_id = pco_conn_id
        self.church = church  # pco_sync.churches.Church: whose tokens, in OAuth mode
        self.client_kwargs = client_kwargs
        self._client: PcoClient | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        # Same dict the provider info declares; kept for tools that still ask the hook.
        return {k: (list(v) if isinstance(v, list) else dict(v)) for k, v in UI_FIELD_BEHAVIOUR.items()}

    # ---- connection parts -------------------------------------------------------------------
    @staticmethod
    def base_url(conn) -> str:
        """The host field is the full base URL; a bare host name means https."""
        host = (conn.host or "").strip() or DEFAULT_BASE_URL
        if "://" not in host:
            host = "https://" + host + (f":{conn.port}" if conn.port else "")
        return host.rstrip("/")

    @staticmethod
    def extra(conn, name: str, default=None):
        """A form field of the connection's extra (bare, or Airflow 2's prefixed name)."""
        extra = conn.extra_dejson or {}
        value = extra.get(name, extra.get(f"extra__{CONN_TYPE}__{name}"))
        return default if value in (None, "") else value

    @classmethod
    def auth_mode(cls, conn) -> str:
        mode = str(cls.extra(conn, "auth_mode", AUTH_PERSONAL)).strip().lower()
        if mode not in (AUTH_PERSONAL, AUTH_OAUTH):
            raise PcoError(f"connection {conn.conn_id}: auth_mode must be {AUTH_PERSONAL} or "
                           f"{AUTH_OAUTH}, not {mode!r}")
        return mode

    def oauth_app(self, conn=None):
        """The deployment's OAuth application, from the connection this one names."""
        from pco_sync.pco.oauth import OAuthApp

        conn = conn or self.get_connection(self.pco_conn_id)
        app = self.get_connection(self.extra(conn, "oauth_app_conn_id", OAUTH_APP_CONN_ID))
        if not app.login or not app.password:
            raise PcoError(f"connection {app.conn_id}: the OAuth application needs its client "
                           "id (Application ID) and secret (Secret)")
        return OAuthApp(self.base_url(app), app.login, app.password)

    def token_store(self, conn=None):
        """The church's tokens (OAuth mode), in the church's database."""
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        from pco_sync.pco.tokens import TokenStore

        if self.church is None:
            raise PcoError(f"connection {self.pco_conn_id} signs in with OAuth: its tokens "
                           "belong to a church, and no church was given")
        db = self.church.church_db_conn_id
        return TokenStore(lambda: PostgresHook(postgres_conn_id=db).get_conn(),
                          self.church.slug, self.oauth_app(conn))

    def _new_client(self, **overrides: Any) -> PcoClient:
        conn = self.get_connection(self.pco_conn_id)
        kwargs = {**self.client_kwargs, **overrides}
        if self.auth_mode(conn) == AUTH_OAUTH:
            from pco_sync.pco.tokens import BearerAuth

            return PcoClient(self.base_url(conn), auth=BearerAuth(self.token_store(conn)),
                             **kwargs)
        return PcoClient(self.base_url(conn), conn.login or "", conn.password or "", **kwargs)

    def get_client(self) -> PcoClient:
        """A PcoClient for this connection (one per hook, so its pacing state is shared)."""
        if self._client is None:
            self._client = self._new_client()
        return self._client

    get_conn = get_client

    def test_connection(self) -> tuple[bool, str]:
        """The UI's Test button: the organisation's name, or why it failed (never the secret)."""
        secret, url = "", ""
        try:
            conn = self.get_connection(self.pco_conn_id)
            secret, url = conn.password or "", self.base_url(conn)
            if self.auth_mode(conn) == AUTH_OAUTH and self.church is None:
                app = self.oauth_app(conn)
                return True, (f"Signs in with Planning Center (OAuth application "
                              f"{app.client_id} at {url}): each church connects on the PCO "
                              "Sync page, where its connection is shown")
            # One quick retry at most: a person is waiting on the button.
            client = self._new_client(max_retries=1, backoff_base=0.2, timeout=(5, 15))
            return True, f"Connected to {client.organization_name()} at {url}"
        except PcoError as exc:
            if exc.status == 401:
                reason = ("PCO rejected the Application ID or Secret (HTTP 401): check both "
                          "against the personal access token in PCO's developer settings")
            elif exc.status is None:
                reason = (f"Could not reach {url or 'PCO'}: {exc.detail}. Check the Base URL "
                          "and that this server can reach it")
            else:
                reason = str(exc)
        except Exception as exc:  # bad URL, unexpected answer, missing connection ...
            reason = f"{type(exc).__name__}: {exc}"
        if secret:
            reason = reason.replace(secret, "***")
        return False, reason
