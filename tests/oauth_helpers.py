"""A church connected by Planning Center OAuth as the connect page's callback leaves it, for
tests: the simulator's consent approved, the code exchanged, the tokens stored."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import psycopg
import requests
from cryptography.fernet import Fernet

from pco_simulator.config import DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET
from pco_sync.pco.client import PcoClient
from pco_sync.pco.oauth import OAuthApp
from pco_sync.pco.tokens import BearerAuth, TokenStore

REDIRECT = "http://127.0.0.1:28080/pco-sync/oauth/callback"
KEY = Fernet.generate_key()


def app_of(sim) -> OAuthApp:
    return OAuthApp(sim.url, DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET)


def approve(sim, scope="people groups calendar services") -> str:
    r = requests.get(sim.url + "/oauth/authorize", timeout=10, allow_redirects=False, params={
        "response_type": "code", "client_id": DEFAULT_OAUTH_CLIENT_ID, "redirect_uri": REDIRECT,
        "scope": scope, "state": "s", "simulator_approve": "1"})
    assert r.status_code == 302, r.text
    return parse_qs(urlsplit(r.headers["Location"]).query)["code"][0]


def store_for(sim, db_url, church="default") -> TokenStore:
    return TokenStore(lambda: psycopg.connect(db_url), church, app_of(sim), Fernet(KEY))


def connect(sim, db_url, scope="people groups calendar services"):
    """What the connect page's callback does: the code for tokens, stored."""
    grant = app_of(sim).exchange(approve(sim, scope), REDIRECT)
    store = store_for(sim, db_url)
    store.connected(grant, organization_id="1", organization_name="Sim Church",
                    connected_by="admin")
    return store, grant


def client_of(sim, store) -> PcoClient:
    return PcoClient(sim.url, auth=BearerAuth(store), backoff_base=0.01, max_retries=2)
