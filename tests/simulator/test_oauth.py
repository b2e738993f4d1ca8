"""The simulator's OAuth 2 (issue 21 item 5), the contract the sync side is coded against:

- GET /oauth/authorize: a consent page, or with simulator_approve=1 a 302 to redirect_uri
  with code and state (simulator_user picks the person); Deny: error=access_denied.
- POST /oauth/token (form, JSON or multipart; client in the form or HTTP Basic):
  authorization_code and refresh_token grants; 200 {access_token, token_type: bearer,
  expires_in: 7200, refresh_token, scope, created_at}; a used code or refresh token is 400
  invalid_grant, a bad client 401 invalid_client.
- Bearer tokens on every route, 401 when unknown, expired or revoked, 403 for a product
  outside the scopes, 422 for a webhook subscription outside them; subscriptions per user.
- Admin: /__admin/oauth/{grants,revoke,expire,clients} and `admin oauth ...`.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from pco_simulator import SimConfig, Simulator
from pco_simulator.__main__ import main
from pco_simulator.config import DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET

CLIENT, SECRET = DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET
REDIRECT = "http://127.0.0.1:28080/pco-sync/oauth/callback"


@pytest.fixture
def sim(wiped_sim):
    """The module's simulator, wiped, with three people and no OAuth state."""
    wiped_sim.sim.oauth.reset()
    for first in ("Ada", "Ben", "Cy"):
        wiped_sim.store.insert("people", {"first_name": first, "last_name": "Admin",
                                          "status": "active"}, emit=False)
    return wiped_sim


def authorize(sim, scope="people services", state="s1", approve=True, **extra):
    params = {"response_type": "code", "client_id": CLIENT, "redirect_uri": REDIRECT,
              "scope": scope, "state": state, **extra}
    if approve:
        params["simulator_approve"] = "1"
    return requests.get(sim.url + "/oauth/authorize", params=params, allow_redirects=False,
                        timeout=10)


def query_of(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def code_for(sim, **kw) -> str:
    r = authorize(sim, **kw)
    assert r.status_code == 302, r.text
    return query_of(r.headers["Location"])["code"]


def token(sim, auth=None, **form) -> requests.Response:
    if auth is None:
        form = {"client_id": CLIENT, "client_secret": SECRET, **form}
    return requests.post(sim.url + "/oauth/token", data=form, auth=auth, timeout=10)


def connect(sim, **kw) -> dict:
    r = token(sim, grant_type="authorization_code", code=code_for(sim, **kw),
              redirect_uri=REDIRECT)
    assert r.status_code == 200, r.text
    return r.json()


def refresh(sim, refresh_token: str) -> requests.Response:
    return token(sim, grant_type="refresh_token", refresh_token=refresh_token)


def api(sim, tok: str, path: str, method="GET", **kw) -> requests.Response:
    return requests.request(method, sim.url + path, timeout=10,
                            headers={"Authorization": f"Bearer {tok}"}, **kw)


def first_person(sim) -> str:
    return min(sim.store.tables["people"], key=int)


# ---- authorize ------------------------------------------------------------------------------
def test_consent_page_then_approve_redirects_with_code_and_state(sim):
    r = authorize(sim, approve=False, state="xyz")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    page = r.text
    assert "Grace Community Church" in page and "263468" in page
    assert '<li class="scope">people</li>' in page and '<li class="scope">services</li>' in page
    assert "Ada Admin" in page  # the first person approves by default
    approve = page.split('id="approve" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "simulator_approve=1" in approve
    r = requests.get(sim.url + approve, allow_redirects=False, timeout=10)
    assert r.status_code == 302
    loc = r.headers["Location"]
    assert loc.startswith(REDIRECT + "?")
    q = query_of(loc)
    assert q["state"] == "xyz" and len(q["code"]) >= 32

    deny = page.split('id="deny" href="')[1].split('"')[0].replace("&amp;", "&")
    r = requests.get(sim.url + deny, allow_redirects=False, timeout=10)
    assert r.status_code == 302
    assert query_of(r.headers["Location"]) == {
        "error": "access_denied", "state": "xyz",
        "error_description": "The resource owner or authorization server denied the request."}


@pytest.mark.parametrize("change", [{"client_id": "nope"},
                                    {"redirect_uri": "https://evil.example.com/cb"},
                                    {"redirect_uri": "not a uri"},
                                    {"scope": "people api"}])
def test_bad_client_redirect_or_scope_is_a_400_page_without_redirect(sim, change):
    params = {"response_type": "code", "client_id": CLIENT, "redirect_uri": REDIRECT,
              "scope": "people", "state": "s", "simulator_approve": "1", **change}
    r = requests.get(sim.url + "/oauth/authorize", params=params, allow_redirects=False,
                     timeout=10)
    assert r.status_code == 400 and "Location" not in r.headers
    assert "An error has occurred" in r.text


def test_registered_redirect_uris_are_the_only_ones_accepted(sim):
    sim.config.oauth_clients[0].redirect_uris = ("https://sync.example.org/cb",)
    try:
        assert authorize(sim).status_code == 400
        r = authorize(sim, redirect_uri="https://sync.example.org/cb")
        assert r.status_code == 302
        assert r.headers["Location"].startswith("https://sync.example.org/cb?code=")
    finally:
        sim.config.oauth_clients[0].redirect_uris = ()


def test_simulator_user_picks_who_approves_and_me_names_them(sim):
    people = sorted(sim.store.tables["people"], key=int)
    tok = connect(sim, simulator_user=people[1])["access_token"]
    me = api(sim, tok, "/people/v2/me")
    assert me.status_code == 200
    assert me.json()["data"]["id"] == people[1]
    assert me.json()["data"]["attributes"]["first_name"] == "Ben"
    assert authorize(sim, simulator_user="999").status_code == 400


# ---- token ----------------------------------------------------------------------------------
def test_code_exchange_answers_doorkeepers_token_json(sim):
    code = code_for(sim)
    r = token(sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope",
                         "created_at"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 7200
    assert body["scope"] == "people services"
    assert isinstance(body["created_at"], int) and body["access_token"] != body["refresh_token"]
    # A code is single use.
    again = token(sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert "error_description" in again.json()


def test_code_needs_the_same_redirect_uri_and_expires_in_ten_minutes(sim):
    wrong = token(sim, grant_type="authorization_code", code=code_for(sim),
                  redirect_uri=REDIRECT + "/other")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    code = code_for(sim)
    requests.post(sim.url + "/__admin/clock", json={"advance_seconds": 601}, timeout=10)
    late = token(sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


def test_client_may_authenticate_with_basic_or_json_and_a_wrong_one_is_401(sim):
    r = token(sim, auth=(CLIENT, SECRET), grant_type="authorization_code",
              code=code_for(sim), redirect_uri=REDIRECT)
    assert r.status_code == 200
    r = requests.post(sim.url + "/oauth/token", timeout=10, json={
        "client_id": CLIENT, "client_secret": SECRET, "grant_type": "refresh_token",
        "refresh_token": r.json()["refresh_token"]})
    assert r.status_code == 200
    for form in ({"client_id": CLIENT, "client_secret": "wrong"},
                 {"client_id": "unknown", "client_secret": SECRET}, {}):
        bad = requests.post(sim.url + "/oauth/token", timeout=10, data={
            **form, "grant_type": "refresh_token", "refresh_token": r.json()["refresh_token"]})
        assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    # The refresh token was not spent by the refused requests.
    assert refresh(sim, r.json()["refresh_token"]).status_code == 200
    odd = token(sim, grant_type="password")
    assert odd.status_code == 400 and odd.json()["error"] == "unsupported_grant_type"


def test_refresh_gives_a_new_pair_once_and_keeps_scopes_and_user(sim):
    first = connect(sim, scope="people groups")
    r = refresh(sim, first["refresh_token"])
    assert r.status_code == 200
    second = r.json()
    assert second["scope"] == "people groups" and second["expires_in"] == 7200
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    again = refresh(sim, first["refresh_token"])  # developers#602
    assert again.status_code == 400 and again.json() == {
        "error": "invalid_grant",
        "error_description": "The provided authorization grant is invalid, expired, revoked, "
                             "does not match the redirection URI used in the authorization "
                             "request, or was issued to another client."}
    me = api(sim, second["access_token"], "/people/v2/me").json()["data"]["id"]
    assert me == first_person(sim)
    # The old access token lives until it expires.
    assert api(sim, first["access_token"], "/people/v2/people").status_code == 200
    assert refresh(sim, second["refresh_token"]).status_code == 200


def test_faults_act_on_the_token_endpoint_before_the_refresh_happens(sim):
    tok = connect(sim)
    sim.sim.faults.add({"kind": "error", "status": 503, "path": "/oauth/token", "count": 1})
    r = refresh(sim, tok["refresh_token"])
    assert r.status_code == 503 and r.json()["errors"][0]["status"] == "503"
    sim.sim.faults.add({"kind": "drop", "path": "/oauth/token", "count": 1})
    with pytest.raises(requests.ConnectionError):
        refresh(sim, tok["refresh_token"])
    assert refresh(sim, tok["refresh_token"]).status_code == 200  # not spent by either


# ---- bearer tokens on the API ---------------------------------------------------------------
def test_bearer_token_works_and_scopes_are_enforced_per_product(sim):
    tok = connect(sim, scope="people services")["access_token"]
    org = api(sim, tok, "/people/v2")
    assert org.status_code == 200
    assert org.json()["data"]["attributes"]["name"] == "Grace Community Church"
    assert api(sim, tok, "/people/v2/people").json()["meta"]["total_count"] == 3
    assert api(sim, tok, "/services/v2/teams").status_code == 200
    for path in ("/groups/v2/groups", "/calendar/v2/events"):
        r = api(sim, tok, path)
        assert r.status_code == 403
        err = r.json()["errors"][0]
        assert err["status"] == "403" and err["title"] == "Forbidden"
        assert path.split("/")[1] in err["detail"]
    # Without people, /people/v2 (the organization) is out of reach too.
    tok = connect(sim, scope="groups")["access_token"]
    assert api(sim, tok, "/people/v2").status_code == 403
    assert api(sim, tok, "/groups/v2/groups").status_code == 200


def test_unknown_expired_and_revoked_tokens_are_401_in_pcos_shape(sim):
    r = api(sim, "0" * 64, "/people/v2/people")
    assert r.status_code == 401
    err = r.json()["errors"][0]
    assert err["status"] == "401" and err["title"] == "Unauthorized"
    assert err["code"] == "unauthorized"

    tok = connect(sim)
    requests.post(sim.url + "/__admin/clock", json={"advance_seconds": 7199}, timeout=10)
    assert api(sim, tok["access_token"], "/people/v2/people").status_code == 200
    requests.post(sim.url + "/__admin/clock", json={"advance_seconds": 2}, timeout=10)
    assert api(sim, tok["access_token"], "/people/v2/people").status_code == 401
    fresh = refresh(sim, tok["refresh_token"]).json()
    assert api(sim, fresh["access_token"], "/people/v2/people").status_code == 200


def test_access_lifetime_is_configurable_at_run_time_and_scaled(sim):
    r = requests.patch(sim.url + "/__admin/config", timeout=10,
                       json={"oauth_access_seconds": 60, "time_scale": 0.5})
    assert r.status_code == 200 and r.json()["oauth_access_seconds"] == 60
    assert "secret" not in json.dumps(r.json()["oauth_clients"])
    tok = connect(sim)
    assert tok["expires_in"] == 30  # 60 s under a time scale of 0.5
    requests.post(sim.url + "/__admin/clock", json={"advance_seconds": 31}, timeout=10)
    assert api(sim, tok["access_token"], "/people/v2/me").status_code == 401


def test_admin_expire_ends_access_tokens_but_refresh_still_works(sim):
    tok = connect(sim)
    r = requests.post(sim.url + "/__admin/oauth/expire", json={"all": True}, timeout=10)
    assert r.json()["expired"]["access_tokens"] == 1
    assert api(sim, tok["access_token"], "/people/v2/me").status_code == 401
    assert refresh(sim, tok["refresh_token"]).status_code == 200


def test_revoke_over_http_for_one_user(sim):
    people = sorted(sim.store.tables["people"], key=int)
    a = connect(sim, simulator_user=people[0])
    b = connect(sim, simulator_user=people[1])
    r = requests.post(sim.url + "/__admin/oauth/revoke", json={"user_id": people[0]},
                      timeout=10)
    assert r.status_code == 200
    assert r.json()["revoked"] == {"access_tokens": 1, "refresh_tokens": 1}
    assert api(sim, a["access_token"], "/people/v2/me").status_code == 401
    bad = refresh(sim, a["refresh_token"])
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    assert api(sim, b["access_token"], "/people/v2/me").status_code == 200
    assert refresh(sim, b["refresh_token"]).status_code == 200
    # Naming nobody is refused rather than revoking everything.
    assert requests.post(sim.url + "/__admin/oauth/revoke", json={},
                         timeout=10).status_code == 400


def test_revoke_only_refresh_tokens_leaves_access_until_expiry(sim):
    tok = connect(sim)
    r = requests.post(sim.url + "/__admin/oauth/revoke",
                      json={"all": True, "tokens": "refresh"}, timeout=10)
    assert r.json()["revoked"] == {"access_tokens": 0, "refresh_tokens": 1}
    assert api(sim, tok["access_token"], "/people/v2/me").status_code == 200
    assert refresh(sim, tok["refresh_token"]).json()["error"] == "invalid_grant"


def test_revoke_and_grants_through_the_cli(sim, capsys):
    tok = connect(sim, scope="people")
    assert main(["admin", "--url", sim.url, "oauth", "grants"]) == 0
    grants = json.loads(capsys.readouterr().out)["grants"]
    assert len(grants) == 1
    g = grants[0]
    assert g["client_id"] == CLIENT and g["user_id"] == first_person(sim)
    assert g["scopes"] == ["people"] and g["refresh_token_usable"] is True
    assert g["organization_id"] == "263468" and g["live_access_tokens"] == 1
    assert tok["access_token"] not in json.dumps(grants)
    assert tok["refresh_token"] not in json.dumps(grants)

    assert main(["admin", "--url", sim.url, "oauth", "revoke", "--all"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["revoked"] == {"access_tokens": 1, "refresh_tokens": 1}
    assert api(sim, tok["access_token"], "/people/v2/people").status_code == 401
    assert refresh(sim, tok["refresh_token"]).json()["error"] == "invalid_grant"

    assert main(["admin", "--url", sim.url, "limits", "--oauth-access-seconds", "7000"]) == 0
    assert json.loads(capsys.readouterr().out)["oauth_access_seconds"] == 7000
    tok = connect(sim)
    assert tok["expires_in"] == 7000
    assert main(["admin", "--url", sim.url, "oauth", "expire", "--user",
                 first_person(sim)]) == 0
    assert json.loads(capsys.readouterr().out)["expired"] == {"access_tokens": 1}
    assert api(sim, tok["access_token"], "/people/v2/people").status_code == 401
    with pytest.raises(SystemExit):
        main(["admin", "--url", sim.url, "oauth", "revoke"])  # --all or --user is required


# ---- webhooks -------------------------------------------------------------------------------
def subscribe(sim, tok, name, url="http://127.0.0.1:9/hook", basic=None):
    body = {"data": {"type": "WebhookSubscription",
                     "attributes": {"name": name, "url": url, "active": True}}}
    if basic:
        return requests.post(sim.url + "/webhooks/v2/webhook_subscriptions", json=body,
                             auth=basic, timeout=10)
    return api(sim, tok, "/webhooks/v2/webhook_subscriptions", "POST", json=body)


def test_webhook_subscription_outside_the_scopes_is_422(sim):
    tok = connect(sim, scope="people services")["access_token"]
    r = subscribe(sim, tok, "groups.v2.events.membership.created")
    assert r.status_code == 422
    assert r.json() == {"errors": [{
        "status": "422", "title": "Validation Error",
        "detail": 'Event "groups.v2.events.membership.created" is not available for '
                  'subscription within current OAuth2 scope (people services).',
        "source": {"parameter": "base"},
        "meta": {"resource": "Subscription", "associated_resources": []}}]}
    assert subscribe(sim, tok, "people.v2.events.person.created").status_code == 201


def test_webhook_subscriptions_are_per_connected_user(sim):
    people = sorted(sim.store.tables["people"], key=int)
    a = connect(sim, simulator_user=people[0])["access_token"]
    b = connect(sim, simulator_user=people[1])["access_token"]
    made = subscribe(sim, a, "people.v2.events.person.updated")
    assert made.status_code == 201
    sid = made.json()["data"]["id"]
    assert made.json()["data"]["attributes"]["application_id"] == CLIENT
    listing = lambda t: [s["id"] for s in api(  # noqa: E731
        sim, t, "/webhooks/v2/webhook_subscriptions").json()["data"]]
    assert listing(a) == [sid]
    assert listing(b) == []
    assert api(sim, b, f"/webhooks/v2/webhook_subscriptions/{sid}").status_code == 404
    # The same event and URL for another user is that user's own subscription.
    assert subscribe(sim, b, "people.v2.events.person.updated").status_code == 201
    # A personal access token sees the subscriptions made with it, not the users'.
    basic = requests.get(sim.url + "/webhooks/v2/webhook_subscriptions", auth=sim.auth,
                         timeout=10)
    assert basic.status_code == 200 and basic.json()["data"] == []
    assert subscribe(sim, None, "people.v2.events.person.created",
                     basic=sim.auth).status_code == 201
    assert len(requests.get(sim.url + "/webhooks/v2/webhook_subscriptions", auth=sim.auth,
                            timeout=10).json()["data"]) == 1
    assert listing(a) == [sid]


# ---- personal access tokens, organizations, logs --------------------------------------------
def test_basic_auth_is_unchanged(sim):
    r = requests.get(sim.url + "/groups/v2/groups", auth=sim.auth, timeout=10)
    assert r.status_code == 200
    assert requests.get(sim.url + "/people/v2", auth=sim.auth,
                        timeout=10).json()["data"]["id"] == "263468"
    me = requests.get(sim.url + "/people/v2/me", auth=sim.auth, timeout=10)
    assert me.json()["data"]["id"] == first_person(sim)
    assert requests.get(sim.url + "/people/v2/people", auth=("x", "y"),
                        timeout=10).status_code == 401


def test_tokens_belong_to_the_organization_that_issued_them(sim):
    tok = connect(sim)["access_token"]
    other = SimConfig(rate_limit=100_000, organization_id="999001",
                      organization_name="Second Church")
    with Simulator(other) as second:
        org = requests.get(second.url + "/people/v2", auth=second.auth, timeout=10).json()
        assert org["data"]["id"] == "999001"
        assert org["data"]["attributes"]["name"] == "Second Church"
        assert api(second, tok, "/people/v2").status_code == 401
        code = code_for(second)
        tok2 = token(second, grant_type="authorization_code", code=code,
                     redirect_uri=REDIRECT).json()["access_token"]
        assert api(second, tok2, "/people/v2").json()["data"]["id"] == "999001"
        assert api(sim, tok2, "/people/v2").status_code == 401
        assert token(sim, grant_type="authorization_code", code=code_for(second),
                     redirect_uri=REDIRECT).json()["error"] == "invalid_grant"


def test_rate_limit_and_log_name_the_user_never_the_token(sim):
    requests.patch(sim.url + "/__admin/config", json={"rate_limit": 3}, timeout=10)
    tok = connect(sim)
    other = connect(sim, simulator_user=sorted(sim.store.tables["people"], key=int)[1])
    statuses = [api(sim, tok["access_token"], "/people/v2/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert api(sim, other["access_token"], "/people/v2/me").status_code == 200
    log = json.dumps(requests.get(sim.url + "/__admin/requests", timeout=10).json())
    assert f"oauth:{CLIENT}:{first_person(sim)}" in log and '"/oauth/token"' in log
    for secret in (tok["access_token"], tok["refresh_token"], SECRET):
        assert secret not in log


# ---- `serve` flags and restarts (real subprocesses) -----------------------------------------
def test_serve_flags_register_clients_redirects_organization_and_lifetime(tmp_path):
    from test_admin_cli import Served
    state = tmp_path / "pco.json"
    flags = ["--people", "5", "--state", str(state), "--save-delay", "600",
             "--organization-id", "777001", "--organization-name", "Hill Church",
             "--oauth-client-id", "sync_a", "--oauth-client-secret", "secret_a",
             "--oauth-client-id", "sync_b", "--oauth-client-secret", "secret_b",
             "--oauth-redirect-uri", REDIRECT, "--oauth-access-seconds", "600",
             "--time-scale", "0.5"]
    served = Served(*flags).wait()
    try:
        def approve(client_id, redirect=REDIRECT):
            return requests.get(served.url + "/oauth/authorize", allow_redirects=False,
                                timeout=10, params={
                                    "response_type": "code", "client_id": client_id,
                                    "redirect_uri": redirect, "scope": "people",
                                    "state": "st", "simulator_approve": "1"})
        assert approve(CLIENT).status_code == 400  # only the given clients are registered
        assert approve("sync_a", "http://127.0.0.1:1/other").status_code == 400
        code = query_of(approve("sync_b").headers["Location"])["code"]
        r = requests.post(served.url + "/oauth/token", timeout=10, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": "sync_b", "client_secret": "secret_b"})
        assert r.status_code == 200 and r.json()["expires_in"] == 300
        tok = r.json()
        org = api(served, tok["access_token"], "/people/v2").json()["data"]
        assert org["id"] == "777001" and org["attributes"]["name"] == "Hill Church"
        clients = requests.get(served.url + "/__admin/oauth/clients", timeout=10).json()
        assert [c["client_id"] for c in clients["clients"]] == ["sync_a", "sync_b"]
        assert "secret_b" not in json.dumps(clients)
    finally:
        assert served.stop() in (0, -15)
    saved = state.read_text()
    assert tok["access_token"] not in saved and tok["refresh_token"] not in saved
    # A restart from the state file keeps the church connected.
    served = Served(*flags).wait()
    try:
        assert api(served, tok["access_token"], "/people/v2/me").status_code == 200
        r = requests.post(served.url + "/oauth/token", timeout=10, data={
            "grant_type": "refresh_token", "refresh_token": tok["refresh_token"],
            "client_id": "sync_b", "client_secret": "secret_b"})
        assert r.status_code == 200
    finally:
        served.stop()
