"""`make airflow`'s preparation of its Airflow home (devkit.local_airflow.prepare): the
connections church_db (the embedded database) and pco_default (the local simulator) stored in
the metadata DB where missing, a user's edit kept, an id an environment variable sets left
alone, and pco_sync unpaused even when it was paused. A real metadata DB (SQLite) in a
throwaway home; the church database on the embedded PostgreSQL."""
from __future__ import annotations

import json
import os

import psycopg
import pytest

from airflow_home import airflow, clean_env, outcomes, stored
from databases import scratch_database

from devkit import demo, devdb, local_airflow

SIM_PORT = 18_765  # only stored in the connection; nothing listens there


@pytest.mark.timeout(900)
def test_prepare_stores_the_connections_keeps_edits_and_unpauses(tmp_path, capfd):
    home = tmp_path / "airflow"
    env = clean_env(home)
    church = f"pco_sync_local_airflow_{os.getpid()}"  # the name scratch_database gives it
    with scratch_database("pco_sync_local_airflow") as church_url:
        # As a demo of old left it: the DAG known to the metadata DB, and paused.
        airflow(env, "dags", "reserialize")
        airflow(env, "dags", "pause", "pco_sync")
        assert stored(env)["paused"]["pco_sync"] is True

        # A user's own PCO in the environment: pco_default is not stored.
        user_pco = json.dumps({"conn_type": "pco", "host": "https://api.planningcenteronline.com",
                               "login": "theirs", "password": "secret"})
        capfd.readouterr()
        started = local_airflow.prepare(home, env={**env, "AIRFLOW_CONN_PCO_DEFAULT": user_pco},
                                        church_database=church, sim_port=SIM_PORT)
        said = capfd.readouterr().out
        assert outcomes(said)["connection church_db"] == "created"
        assert outcomes(said)["connection pco_default"] == \
            "from AIRFLOW_CONN_PCO_DEFAULT (not stored)"
        assert "connection pco_oauth_app" not in outcomes(said)  # no simulator: not its app
        assert "pco_sync: unpaused (it was paused" in said
        assert started["PCO_SYNC_AIRFLOW_HOME"] == str(home)
        assert started["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "False"

        church_db = json.loads(airflow(env, "connections", "get", "church_db", "-o", "json").stdout)[0]
        # The embedded database, in the form devdb.airflow_conn_uri writes.
        assert devdb.airflow_conn_to_url(church_db["get_uri"]) == \
            devdb.with_database(devdb.embedded_url(), church) == church_url
        assert church_db["conn_type"] == "postgres" and church_db["schema"] == church
        assert airflow(env, "connections", "get", "pco_default", check=False).returncode != 0
        assert stored(env)["paused"]["pco_sync"] is False

        # The user points church_db elsewhere in the UI; the next start keeps that.
        airflow(env, "connections", "delete", "church_db")
        airflow(env, "connections", "add", "church_db", "--conn-uri",
                "postgresql://staff@db.church.example:5433/members")
        airflow(env, "variables", "set", "pco_sync_push_scope", "sync_groups")  # the contract's
        airflow(env, "dags", "pause", "pco_sync")
        capfd.readouterr()
        local_airflow.prepare(home, env=env, church_database=church, sim_port=SIM_PORT)
        said = capfd.readouterr().out
        assert outcomes(said)["connection church_db"] == "kept (exists)"
        assert outcomes(said)["connection pco_default"] == "created"
        assert outcomes(said)["connection pco_oauth_app"] == "created"
        assert outcomes(said)["variable pco_sync_push_scope"] == "kept (exists)"

    now = stored(env)
    assert now["paused"]["pco_sync"] is False
    assert now["connections"]["church_db"]["host"] == "db.church.example"
    assert now["variables"]["pco_sync_push_scope"] == "sync_groups"
    pco = json.loads(airflow(env, "connections", "get", "pco_default", "-o", "json").stdout)[0]
    app_id, secret = local_airflow.simulator_credentials()
    assert (pco["conn_type"], pco["host"], pco["login"], pco["password"]) == \
        ("pco", f"http://127.0.0.1:{SIM_PORT}", app_id, secret)
    # the simulator is the deployment's OAuth application too (Connect with Planning Center)
    app = json.loads(airflow(env, "connections", "get", "pco_oauth_app", "-o", "json").stdout)[0]
    assert (app["host"], app["login"], app["password"]) == \
        (f"http://127.0.0.1:{SIM_PORT}", *local_airflow.simulator_oauth_app())
    assert now["pools"]["pco_api"] == 1  # the rest of airflow_settings.yaml


def test_the_simulator_make_airflow_starts_is_its_oauth_application(tmp_path):
    """start_simulator registers airflow_settings.yaml's pco_oauth_app with the simulator: a
    person's approval there gives tokens to that client id and secret, for a callback on
    whatever port the API server listens."""
    import socket
    from urllib.parse import parse_qs, urlsplit

    import requests

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client_id, secret = local_airflow.simulator_oauth_app()
    callback = "http://127.0.0.1:18080/pco-sync/oauth/callback"
    sim = local_airflow.start_simulator(port, tmp_path / "sim.json",
                                        dict(os.environ))
    try:
        base = f"http://127.0.0.1:{port}"
        approved = requests.get(f"{base}/oauth/authorize", allow_redirects=False, timeout=30,
                                params={"response_type": "code", "client_id": client_id,
                                        "redirect_uri": callback, "scope": "people",
                                        "state": "s", "simulator_approve": "1"})
        assert approved.status_code == 302, approved.text
        code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
        token = requests.post(f"{base}/oauth/token", timeout=30, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": callback,
            "client_id": client_id, "client_secret": secret})
        assert token.status_code == 200 and token.json()["scope"] == "people", token.text
    finally:
        local_airflow.stop_simulator(sim)


def test_the_demo_has_its_own_airflow_home_and_church_database():
    assert demo.AIRFLOW_HOME != local_airflow.HOME
    assert demo.DEMO_DATABASE != local_airflow.CHURCH_DATABASE


def test_recreate_database_starts_empty():
    with scratch_database("pco_sync_recreate") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE left_over (x int)")
        # A session left open (a psql in another terminal) does not stop the reset.
        idle = psycopg.connect(url, autocommit=True)
        try:
            again = devdb.recreate_database(devdb.church_db_url(), idle.info.dbname)
        finally:
            idle.close()
        assert again == url
        with psycopg.connect(again) as conn:
            assert conn.execute("SELECT to_regclass('left_over')").fetchone() == (None,)


def test_the_console_quiets_airflows_chatter_and_known_deprecations_only():
    """make airflow's console: the chattiest Airflow loggers at WARNING or above (errors still
    show), our loggers and the task logs untouched, two third-party deprecation warnings
    filtered by their message; what the environment sets wins or is kept."""
    import logging
    import subprocess
    import sys

    from airflow._shared.logging.structlog import parse_namespace_log_levels

    env = local_airflow.quiet_console({"PYTHONWARNINGS": "error::ResourceWarning"})
    levels = parse_namespace_log_levels(env["AIRFLOW__LOGGING__NAMESPACE_LEVELS"])
    assert levels["http.access"] == logging.WARNING  # the API server's access log
    assert levels["airflow.api_fastapi.execution_api"] == logging.WARNING
    assert all(level >= logging.WARNING for level in levels.values())
    assert not any(name.startswith(("pco_sync", "task", "supervisor")) or name == ""
                   for name in levels)
    assert env["PYTHONWARNINGS"].split(",")[0] == "error::ResourceWarning"
    assert local_airflow.quiet_console(dict(env)) == env  # applied twice: the same
    assert local_airflow.quiet_console({"AIRFLOW__LOGGING__NAMESPACE_LEVELS": "x=DEBUG"})[
        "AIRFLOW__LOGGING__NAMESPACE_LEVELS"] == "x=DEBUG"

    # Python takes every filter (an invalid one it would name on stderr), and they drop
    # exactly those warnings.
    probe = ("import warnings\n"
             "warnings.warn(\"GitWildMatchPattern ('gitwildmatch') is deprecated.\", DeprecationWarning)\n"
             "warnings.warn('Using `httpx` with `starlette.testclient` is deprecated; install', UserWarning)\n"
             "warnings.warn('our own warning', DeprecationWarning)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin", **env}, check=True)
    assert "Invalid -W option" not in out.stderr
    assert "GitWildMatchPattern" not in out.stderr and "httpx" not in out.stderr
    assert "our own warning" in out.stderr
