"""PcoHook against the simulator over real HTTP: the UI's Test button and the client."""
from __future__ import annotations

import json


from pco_sync.airflow.hooks import PcoHook
from servers import free_port

SECRET_WRONG = "wrong-secret-3f9a1c"


def set_conn(monkeypatch, conn_id: str, **fields) -> str:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "pco", **fields}))
    return conn_id


def test_test_connection_names_the_organisation(sim, monkeypatch):
    cid = set_conn(monkeypatch, "pco_ok", host=sim.url, login=sim.auth[0], password=sim.auth[1])
    hook = PcoHook(cid)
    assert hook.test_connection() == (True, f"Connected to {sim.config.organization_name} "
                                            f"at {sim.url}")
    client = hook.get_client()
    assert client.base_url == sim.url and hook.get_client() is client


def test_wrong_secret_fails_without_leaking_it(sim, monkeypatch):
    cid = set_conn(monkeypatch, "pco_bad", host=sim.url, login=sim.auth[0], password=SECRET_WRONG)
    ok, reason = PcoHook(cid).test_connection()
    assert ok is False and "401" in reason and "Application ID or Secret" in reason
    assert SECRET_WRONG not in reason


def test_unreachable_url_fails_with_the_cause(monkeypatch):
    cid = set_conn(monkeypatch, "pco_down", host=f"http://127.0.0.1:{free_port()}", login="app",
                   password=SECRET_WRONG)
    ok, reason = PcoHook(cid).test_connection()
    assert ok is False and "ConnectionError" in reason and "/people/v2" in reason
    assert reason.startswith("Could not reach http://127.0.0.1:") and "Base URL" in reason
    assert SECRET_WRONG not in reason


def test_bare_host_means_https():
    class Conn:
        host, port = "api.planningcenteronline.com", None
    assert PcoHook.base_url(Conn) == "https://api.planningcenteronline.com"


def test_ui_field_behaviour_and_provider_registration():
    b = PcoHook.get_ui_field_behaviour()
    assert set(b) == {"hidden_fields", "relabeling", "placeholders"}
    assert {"schema", "port"} <= set(b["hidden_fields"])
    assert b["relabeling"] == {"host": "Base URL", "login": "Application ID", "password": "Secret"}
    assert b["placeholders"]["host"] == "https://api.planningcenteronline.com"

    from airflow.providers_manager import ProvidersManager

    pm = ProvidersManager()
    assert "pco-sync" in pm.providers, "pco_sync is not installed as a provider: run `make venv`"
    assert pm.field_behaviours["pco"]["relabeling"]["host"] == "Base URL"
    # How the connection signs in (personal access token or OAuth) and, for OAuth, the
    # application's own connection; nothing else (webhook secrets are in a Variable).
    widgets = {w: pm.connection_form_widgets[w] for w in pm.connection_form_widgets
               if w.startswith("extra__pco__")}
    assert sorted(widgets) == ["extra__pco__auth_mode", "extra__pco__oauth_app_conn_id"]
    mode = widgets["extra__pco__auth_mode"].field["schema"]
    assert set(mode["enum"]) >= {"personal_access_token", "oauth"}
    assert widgets["extra__pco__oauth_app_conn_id"].field["value"] == "pco_oauth_app"


def test_the_test_button_backport_treats_port_0_as_no_port():
    """The UI posts port 0 for a connection with no port (apache/airflow#73298)."""
    from airflow.api_fastapi.core_api.routes.public import connections

    from pco_sync.airflow import backports

    assert backports.apply()  # Airflow 3.3.2 lacks the fix
    assert connections._same_endpoint(0, None) and connections._same_endpoint("", None)
    assert not connections._same_endpoint(5432, None)
    assert not connections._same_endpoint("evil.example", "api.planningcenteronline.com")
