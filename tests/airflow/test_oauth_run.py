"""A church connected by Planning Center OAuth, through Airflow (issue 21's contract):
`bin/airflow dags test pco_sync` with the pco connection in auth_mode oauth syncs with the
church's stored tokens; after PCO revokes them the next run fails with a message naming the
church and saying reconnect, alerts say so, and it changes nothing in the church database."""
from __future__ import annotations

import json
import re
import subprocess

import psycopg
import pytest
import requests

from databases import scratch_database
from oauth_helpers import KEY, connect
from pco_simulator import SimConfig, Simulator
from pco_simulator.config import DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET
from pco_sync import church_db
from test_dag_e2e import ROOT, dags_env

pytestmark = pytest.mark.airflow

CHURCH_TABLES = ("people", "emails", "phone_numbers", "addresses", "families")


def oauth_env(sim, db_url) -> dict:
    env = dags_env(sim, db_url)
    env.update({
        "AIRFLOW_CONN_PCO_DEFAULT": json.dumps({"conn_type": "pco", "host": sim.url,
                                                "extra": {"auth_mode": "oauth"}}),
        "AIRFLOW_CONN_PCO_OAUTH_APP": json.dumps({
            "conn_type": "pco", "host": sim.url, "login": DEFAULT_OAUTH_CLIENT_ID,
            "password": DEFAULT_OAUTH_CLIENT_SECRET}),
        "AIRFLOW__CORE__FERNET_KEY": KEY.decode()})  # what the tokens were sealed with
    return env


def run(sim, db_url) -> subprocess.CompletedProcess:
    conf = {"full_refresh": True, "resources": ["people"]}
    return subprocess.run([str(ROOT / "bin" / "airflow"), "dags", "test", "pco_sync", "-c",
                           json.dumps(conf)], cwd=ROOT, env=oauth_env(sim, db_url),
                          capture_output=True, text=True, timeout=280)


def church_state(db) -> dict:
    """Every church table's rows, as text: what "changes nothing" compares."""
    return {t: db.execute(f"SELECT coalesce(md5(string_agg(x::text, ',' ORDER BY x.id)), '') "
                          f"FROM church.{t} x").fetchone()[0] for t in CHURCH_TABLES}


def test_an_oauth_church_syncs_then_a_revoked_one_fails_saying_reconnect_and_changes_nothing():
    with scratch_database("pco_sync_oauth") as db_url, \
            Simulator(SimConfig(rate_limit=100_000), people=150, seed=5) as sim, \
            psycopg.connect(db_url, autocommit=True) as db:
        with church_db.connect(db_url) as conn:
            church_db.apply_migrations(conn)
        store, grant = connect(sim, db_url, scope="people")

        first = run(sim, db_url)
        out = first.stdout + first.stderr
        assert first.returncode == 0, out[-6000:]
        assert re.search(r"DagRun Finished: dag_id=pco_sync, .*state=success", out)
        assert db.execute("SELECT count(*) FROM church.people").fetchone()[0] > 100
        for secret in (grant.access_token, grant.refresh_token):
            assert secret not in out

        r = requests.post(sim.url + "/__admin/oauth/revoke", json={"all": True}, timeout=10)
        assert r.status_code == 200, r.text
        sim.store.update("people", next(iter(sim.store.tables["people"])),
                         {"first_name": "Changed"})  # something a run would bring in
        before = church_state(db)

        second = run(sim, db_url)
        out = second.stdout + second.stderr
        assert re.search(r"DagRun Finished: dag_id=pco_sync, .*state=failed", out), out[-6000:]
        messages = re.findall(r"church 'default' is disconnected[^\n]*", out)
        assert messages and "reconnect" in messages[0], out[-6000:]
        assert church_state(db) == before
        assert store.status()["disconnected_at"] is not None
        for secret in (grant.access_token, grant.refresh_token):
            assert secret not in out
