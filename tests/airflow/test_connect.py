"""Connect with Planning Center (issue 21) on a real Airflow API server (simple auth manager,
admin / editor / viewer) against two PCO simulators of different organizations, the church
database the test database:

- the connect page: a viewer gets 403; an editor a 302 to the simulator's /oauth/authorize
  with client_id, redirect_uri (this server's callback), the scopes the resources need and a
  state; a link planted on another site (its Referer) is refused;
- the simulator's approval (simulator_approve=1) leads to the callback, which stores the
  tokens encrypted (no token text in the row, the page or the server's log) and shows the
  organization, the scopes and who connected; the PCO Sync page shows the connection;
- a reused, unknown or another user's state is refused, nothing changes; a person who
  declines (error=access_denied) gets a clear page;
- another organization than the church's (a second simulator; or the connection's
  organization_id) is refused and the stored connection stays as it was;
- a real browser (Playwright + Debian's chromium) goes through the whole flow from the PCO
  Sync page, the simulator's consent page included; screenshots in the test's output folder
  (and .local/test-output/connect/).
"""
from __future__ import annotations

import json
import shutil
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from devkit import local_airflow
from pco_simulator import SimConfig, Simulator
from push_helpers import value
from servers import chromium
from test_dag_e2e import ROOT

SHOTS = ROOT / ".local" / "test-output" / "connect"
CONNECT = "/pco-sync/connect/pco_sync"
CALLBACK = "/pco-sync/oauth/callback"
PAGE = "/pco-sync/review/pco_sync"
OTHER_ORG = "990001"

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def sims(grace):
    """Two simulators: the church's organization (Grace Community Church, 263468, the one
    the shared pages' server is connected to) and another one; each has one person, who
    approves."""
    with Simulator(SimConfig(rate_limit=100_000, organization_id=OTHER_ORG,
                             organization_name="Other Fellowship")) as other:
        other.store.insert("people", {"first_name": "Olly", "last_name": "Other",
                                      "status": "active", "child": False})
        yield grace, other


@pytest.fixture(scope="module")
def server(pages_server):
    """(base URL, {user: headers}, passwords, log path) of the API server whose church_db is
    the test database and whose pco_default and pco_oauth_app point at the first simulator
    (tests/airflow/conftest.py)."""
    return pages_server


def connect(server, user="editor", **headers):
    base, users, _, _ = server
    return requests.get(base + CONNECT, headers={**users[user], **headers}, timeout=60,
                        allow_redirects=False)


def approve(authorize_url: str, how: str = "simulator_approve") -> str:
    """The simulator's answer to the person's click: the callback URL it redirects to."""
    answer = requests.get(f"{authorize_url}&{how}=1", allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def callback(server, url: str, user="editor"):
    base, users, _, _ = server
    assert url.startswith(base + CALLBACK), url
    return requests.get(url, headers=users[user], timeout=60, allow_redirects=False)


def connected_row(db):
    db.rollback()
    return db.execute("SELECT access_token, refresh_token, organization_id, connected_at, "
                      "connected_by, pco_person_name, scopes FROM sync.pco_oauth "
                      "WHERE church = 'default'").fetchone()


def patch_connection(server, conn_id: str, **fields):
    base, users, _, _ = server
    body = {"connection_id": conn_id, **fields}
    got = requests.get(f"{base}/api/v2/connections/{conn_id}", headers=users["admin"],
                       timeout=30).json()
    body.setdefault("conn_type", got["conn_type"])
    answer = requests.patch(f"{base}/api/v2/connections/{conn_id}", headers=users["admin"],
                            params={"update_mask": [k for k in fields]}, json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    return {k: got.get(k) for k in fields}


def test_a_viewer_may_not_connect_and_an_editor_is_sent_to_pco(db, sims, server):
    base = server[0]
    assert requests.get(base + CONNECT, timeout=30, allow_redirects=False).status_code == 401
    assert connect(server, "viewer").status_code == 403
    assert value(db, "SELECT count(*) FROM sync.pco_oauth_states") == 0
    forged = connect(server, Referer="https://evil.example/page")
    assert forged.status_code == 403 and "another site" in forged.text

    sent = connect(server)
    assert sent.status_code == 302, sent.text
    to = urlsplit(sent.headers["location"])
    assert f"{to.scheme}://{to.netloc}" == sims[0].url and to.path == "/oauth/authorize"
    query = {k: v[0] for k, v in parse_qs(to.query).items()}
    assert query["client_id"] == local_airflow.simulator_oauth_app()[0]
    assert query["redirect_uri"] == base + CALLBACK
    assert query["response_type"] == "code"
    # airflow_settings.yaml's pco_sync_resources: people, households, groups, teams, events
    assert query["scope"].split() == ["people", "groups", "calendar", "services"]
    assert query["state"].startswith("default.") and len(query["state"]) > 40
    # only its hash is kept, bound to the church and the user
    assert value(db, "SELECT church, airflow_user, expires_at - created_at "
                     "FROM sync.pco_oauth_states") == ("default", "editor", timedelta(minutes=10))
    assert value(db, "SELECT count(*) FROM sync.pco_oauth_states WHERE state_sha256 = %s",
                 query["state"]) == 0


def test_approving_stores_the_tokens_encrypted_and_shows_what_was_granted(db, sims, server):
    grace = sims[0]
    base, users, _, log_path = server
    back = approve(connect(server).headers["location"])
    assert parse_qs(urlsplit(back).query)["code"]
    page = callback(server, back)
    assert page.status_code == 200, page.text
    assert "Connected with Planning Center" in page.text
    assert "Grace Community Church" in page.text and "263468" in page.text
    for scope in ("people", "groups", "calendar", "services"):
        assert f"<code>{scope}</code>" in page.text
    assert "Pat Admin" in page.text and "editor" in page.text
    # runs still use the personal access token until the connection says oauth
    assert "still sign in with the personal access token of <code>pco_default</code>" in page.text

    access, refresh, org, _, by, person, scopes = connected_row(db)
    assert (org, by, person) == ("263468", "editor", "Pat Admin")
    assert scopes == ["people", "groups", "calendar", "services"]
    assert value(db, "SELECT count(*) FROM sync.pco_oauth_states") == 0  # taken

    # Encrypted with Airflow's Fernet key: opened with it, the access token works at PCO; no
    # token text is in the row, the page or the server's log.
    import configparser

    from cryptography.fernet import Fernet

    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(log_path.parent / "airflow.cfg")  # the server's home
    fernet = Fernet(cfg["core"]["fernet_key"].encode())
    tokens = [fernet.decrypt(t.encode()).decode() for t in (access, refresh)]
    logged = log_path.read_text()
    for token in tokens:
        assert len(token) >= 32
        assert token not in access + refresh and token not in page.text and token not in logged
    me = requests.get(f"{grace.url}/people/v2/me", timeout=30,
                      headers={"Authorization": f"Bearer {tokens[0]}"})
    assert me.status_code == 200 and me.json()["data"]["attributes"]["first_name"] == "Pat"

    # the PCO Sync page shows the connection; Reconnect for an editor only
    seen = requests.get(base + PAGE, headers=users["viewer"], timeout=30).text
    assert "connected with OAuth to <b>Grace Community Church</b>" in seen
    assert "Reconnect" not in seen
    assert f"href='{CONNECT}'>Reconnect</a>" in requests.get(
        base + PAGE, headers=users["editor"], timeout=30).text


def test_a_used_unknown_or_other_users_state_is_refused(db, sims, server):
    back = approve(connect(server).headers["location"])
    assert callback(server, back).status_code == 200
    before = connected_row(db)
    again = callback(server, back)  # the same answer twice: its state was taken
    assert again.status_code == 400 and "used already" in again.text
    code = parse_qs(urlsplit(back).query)["code"][0]
    base = server[0]
    for state in ("default.not-one-of-ours", "nothing", "nochurch.abc", ""):
        refused = callback(server, f"{base}{CALLBACK}?code={code}&state={state}")
        assert refused.status_code == 400, state
    # the editor started it: the admin cannot finish it
    other = approve(connect(server).headers["location"])
    refused = callback(server, other, user="admin")
    assert refused.status_code == 403 and "another Airflow user (editor)" in refused.text
    assert callback(server, other).status_code == 400  # and it is spent
    assert connected_row(db) == before
    # no login: Airflow's own 401
    assert requests.get(other, timeout=30).status_code == 401


def test_a_person_who_declines_gets_a_clear_page(db, sims, server):
    back = approve(connect(server).headers["location"], how="simulator_deny")
    assert "error=access_denied" in back
    page = callback(server, back)
    assert page.status_code == 200
    assert "Planning Center was not connected" in page.text
    assert "Planning Center declined" in page.text and "nothing changed" in page.text
    assert f"href='{CONNECT}'" in page.text  # connect again
    assert connected_row(db) is None
    assert value(db, "SELECT count(*) FROM sync.pco_oauth_states") == 0


def test_another_organization_is_refused_and_nothing_changes(db, sims, server):
    grace, other = sims
    assert callback(server, approve(connect(server).headers["location"])).status_code == 200
    before = connected_row(db)
    # The same deployment pointed at another organization's PCO (its OAuth app and API).
    old = {c: patch_connection(server, c, host=other.url)
           for c in ("pco_oauth_app", "pco_default")}
    try:
        sent = connect(server)
        assert sent.headers["location"].startswith(other.url + "/oauth/authorize")
        refused = callback(server, approve(sent.headers["location"]))
        assert refused.status_code == 409, refused.text
        assert "Other Fellowship" in refused.text and OTHER_ORG in refused.text
        assert "263468" in refused.text and "Nothing was stored" in refused.text
        assert connected_row(db) == before
    finally:
        for conn_id, fields in old.items():
            patch_connection(server, conn_id, **fields)

    # An organization_id in the church's pco connection: a church never connected before
    # must be connected to that one.
    db.execute("DELETE FROM sync.pco_oauth")
    db.commit()
    old_extra = patch_connection(server, "pco_default",
                                 extra=json.dumps({"organization_id": OTHER_ORG}))
    try:
        refused = callback(server, approve(connect(server).headers["location"]))
        assert refused.status_code == 409
        assert "organization_id in the connection pco_default" in refused.text
        assert connected_row(db) is None
    finally:
        patch_connection(server, "pco_default", **old_extra)
    assert callback(server, approve(connect(server).headers["location"])).status_code == 200


def test_connecting_in_a_real_browser(db, sims, server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, _, passwords, _ = server
    shots = []

    def shot(page, name):
        path = tmp_path / f"{len(shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium(),
            args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(f"{base}/auth/login/")
            page.get_by_label("Username").fill("editor")
            page.get_by_label("Password").fill(passwords["editor"])
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: "/auth/login" not in url)
            page.goto(f"{base}/plugin/pco-sync")  # the PCO Sync page, inside Airflow's UI
            frame = page.frame_locator("iframe")
            link = frame.get_by_role("link", name="Connect with Planning Center")
            expect(link).to_be_visible(timeout=60_000)
            shot(page, "pco-sync-page-personal-access-token")
            link.click()  # leaves Airflow's frame for PCO's consent page
            page.wait_for_url(lambda url: url.startswith(sims[0].url + "/oauth/authorize"))
            expect(page.locator("#organization")).to_have_text("Grace Community Church")
            shot(page, "pco-consent")
            page.locator("#approve").click()
            page.wait_for_url(lambda url: CALLBACK in url)
            expect(page.locator("#connected")).to_be_visible()
            expect(page.locator("#organization")).to_contain_text("Grace Community Church")
            expect(page.locator("#scopes")).to_contain_text("people groups calendar services")
            expect(page.locator("#connected-by")).to_contain_text("editor")
            shot(page, "connected")
            page.get_by_role("link", name="Back to the PCO Sync page").click()
            frame = page.frame_locator("iframe")
            expect(frame.locator("#pco-connection")).to_contain_text(
                "connected with OAuth to Grace Community Church", timeout=60_000)
            expect(frame.get_by_role("link", name="Reconnect")).to_be_visible()
            shot(page, "pco-sync-page-connected")
        finally:
            browser.close()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    for path in shots:
        shutil.copy(path, SHOTS / path.name)
    assert connected_row(db)[4] == "editor"


# ---- without a server: the scopes a church asks for, the panel in each state ---------------

def test_the_scopes_are_those_of_the_churchs_resources(monkeypatch):
    from airflow.models.variable import Variable

    from pco_sync import churches
    from pco_sync.airflow.connect_api import scopes_needed

    variables = {}
    monkeypatch.setattr(Variable, "get", lambda name, default_var=None: variables.get(name))
    grace = churches.Church("grace", "Grace", "pco_grace", "church_db_grace",
                            resources=("people", "households"))
    assert scopes_needed(grace) == ["people"]
    assert scopes_needed(churches.DEFAULT) == ["people", "groups", "calendar", "services"]
    variables["pco_sync_resources__grace"] = '["people", "teams"]'  # the Variable wins
    assert scopes_needed(grace) == ["people", "services"]
    variables["pco_sync_resources__grace"] = '["events", "groups"]'
    assert scopes_needed(grace) == ["people", "groups", "calendar"]
    variables["pco_sync_resources__grace"] = '["nonsense"]'  # broken: the entry's
    assert scopes_needed(grace) == ["people"]


def panel(connection, may_connect=True) -> str:
    import re

    from pco_sync.airflow import review_page

    page = review_page.render("/pco-sync/review/pco_sync", "pco_sync", {}, "conflicts", [], {},
                              connection=connection, may_connect=may_connect)
    return re.search(r"<div id='pco-connection'.*?</div>", page, re.S).group(0)


def a_connection(mode="oauth", **status):
    from datetime import datetime, timezone

    at = datetime(2026, 12, 6, 9, 30, tzinfo=timezone.utc)
    return {"conn_id": "pco_default", "mode": mode, "personal": mode == "personal_access_token",
            "problem": None, "dag_id": "pco_sync", "connect_url": CONNECT,
            "status": {"church": "default", "scopes": ["people", "groups"],
                       "organization_id": "263468", "organization_name": "Grace <Church>",
                       "pco_person_id": "1", "pco_person_name": "Pat Admin",
                       "connected_by": "editor", "connected_at": at, "expires_at": at,
                       "refreshed_at": None, "refreshes": 0, "disconnected_at": None,
                       "disconnect_reason": None, **status}}


def test_the_panel_says_how_the_church_signs_in():
    from datetime import datetime, timezone

    personal = panel(a_connection("personal_access_token") | {"status": None})
    assert "a personal access token" in personal and "Connect with Planning Center" in personal
    assert "Connect with" not in panel(a_connection("personal_access_token") | {"status": None},
                                       may_connect=False)
    never = panel(a_connection() | {"status": None})
    assert "not connected yet" in never and "error" in never.split(">")[0]
    connected = panel(a_connection(refreshed_at=datetime(2026, 12, 6, 11, 0, tzinfo=timezone.utc),
                                   refreshes=3))
    assert "Grace &lt;Church&gt;" in connected
    assert "since 2026-12-06 09:30 UTC by editor" in connected
    assert "<code>people</code> <code>groups</code>" in connected
    assert "last refresh 2026-12-06 11:00 UTC (3 refreshes)" in connected
    assert f"href='{CONNECT}'>Reconnect</a>" in connected and "still sign in" not in connected
    gone = panel(a_connection(disconnected_at=datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc),
                              disconnect_reason="PCO refused its refresh token: invalid_grant"))
    assert "disconnected since 2026-12-06 12:00 UTC: PCO refused its refresh token" in gone
    assert f">Reconnect</a>" in gone and "error" in gone.split(">")[0]
