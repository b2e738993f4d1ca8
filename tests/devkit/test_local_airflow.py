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
        assert outcomes(said)["variable pco_sync_push_scope"] == "kept (exists)"

    now = stored(env)
    assert now["paused"]["pco_sync"] is False
    assert now["connections"]["church_db"]["host"] == "db.church.example"
    assert now["variables"]["pco_sync_push_scope"] == "sync_groups"
    pco = json.loads(airflow(env, "connections", "get", "pco_default", "-o", "json").stdout)[0]
    app_id, secret = local_airflow.simulator_credentials()
    assert (pco["conn_type"], pco["host"], pco["login"], pco["password"]) == \
        ("pco", f"http://127.0.0.1:{SIM_PORT}", app_id, secret)
    assert now["pools"]["pco_api"] == 1  # the rest of airflow_settings.yaml


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
