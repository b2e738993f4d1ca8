"""A church connected by Planning Center OAuth (issue 21 items 3 and 4), against the
simulator's OAuth over HTTP and real PostgreSQL: tokens stored encrypted in the church
database, an access token that expires in the middle of an extract (refreshed, nothing
lost), two processes refreshing at once (one refresh, both go on), a revoked refresh token
(the church disconnected with a message saying reconnect; nothing staged; after connecting
again the read completes), a product outside the granted scopes ("not read: not granted",
no request), and tokens never in logs or errors."""
from __future__ import annotations

import logging
import threading

import psycopg
import pytest
import requests

from oauth_helpers import client_of, connect, store_for
from pco_simulator.generator import generate
from pco_sync.airflow.alerts import describe
from pco_sync.errors import PcoDisconnected
from pco_sync.extract import run as extracts


@pytest.fixture
def church(sim):
    generate(sim.store, 300, seed=5)
    return sim


def read(client, db_url, resource="people", run_id="r1") -> dict:
    with psycopg.connect(db_url) as conn:
        return extracts.extract_resource(client, conn, resource, run_id)


def staged(db, table="people", run_id="r1") -> int:
    return db.execute(f"SELECT count(*) FROM pco_staging.{table} WHERE run_id = %s",
                      (run_id,)).fetchone()[0]


def test_tokens_are_stored_encrypted_and_used_as_bearer(church, db, db_url):
    store, grant = connect(church, db_url)
    row = db.execute("SELECT access_token, refresh_token, scopes, organization_id "
                     "FROM sync.pco_oauth WHERE church = 'default'").fetchone()
    assert grant.access_token not in row[0] and grant.refresh_token not in row[1]
    assert (sorted(row[2]), row[3]) == (["calendar", "groups", "people", "services"], "1")
    assert "token" not in repr(grant).lower().replace("grant(", "")
    client = client_of(church, store)
    read(client, db_url)
    assert staged(db) == len(church.store.tables["people"])
    assert client.stats.by_status.get(401) is None


def test_an_access_token_expiring_mid_extract_is_refreshed_and_nothing_is_lost(
        church, db, db_url, caplog):
    caplog.set_level(logging.DEBUG)
    store, grant = connect(church, db_url)
    client = client_of(church, store)
    answered = []

    def expire_after_second_page(resp, *args, **kwargs):
        answered.append(resp.status_code)
        if len(answered) == 2:  # PCO ends the token between two pages of the read
            requests.post(church.url + "/__admin/oauth/expire", json={"all": True}, timeout=10)

    client.session.hooks["response"].append(expire_after_second_page)
    read(client, db_url)

    assert staged(db) == len(church.store.tables["people"])  # no page lost
    assert client.stats.by_status.get(401) == 1  # one request refused, sent again once
    status = store.status()
    assert status["refreshes"] == 1 and status["disconnected_at"] is None
    new_token = client.session.auth._token
    assert new_token != grant.access_token
    for secret in (grant.access_token, grant.refresh_token, new_token):
        assert secret not in caplog.text


def test_two_processes_refreshing_at_once_refresh_once_and_both_go_on(church, db, db_url):
    store, grant = connect(church, db_url)
    stores = [store_for(church, db_url) for _ in range(2)]
    start = threading.Barrier(2)
    got, errors = [None, None], []

    def refresh(i):
        try:
            start.wait()
            got[i] = stores[i].refresh(stale=grant.access_token)[0]
        except Exception as exc:  # noqa: BLE001 - the assertion says which
            errors.append(exc)

    threads = [threading.Thread(target=refresh, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert got[0] == got[1] != grant.access_token
    status = store.status()
    assert status["refreshes"] == 1 and status["disconnected_at"] is None
    client = client_of(church, store_for(church, db_url))
    read(client, db_url)  # both go on: the stored tokens work
    assert staged(db) == len(church.store.tables["people"])


def test_a_revoked_refresh_token_disconnects_the_church_until_it_connects_again(
        church, db, db_url, caplog):
    store, grant = connect(church, db_url)
    r = requests.post(church.url + "/__admin/oauth/revoke", json={"all": True}, timeout=10)
    assert r.status_code == 200, r.text

    with pytest.raises(PcoDisconnected) as raised:
        read(client_of(church, store), db_url)
    message = str(raised.value)
    assert "'default'" in message and "reconnect" in message
    assert "reconnect" in describe(raised.value)  # what the failure alert says
    assert grant.refresh_token not in message and grant.refresh_token not in caplog.text
    assert staged(db) == 0
    assert store.status()["disconnected_at"] is not None

    before = len(church.sim.requests)
    with pytest.raises(PcoDisconnected):  # known disconnected: PCO is not asked again
        read(client_of(church, store), db_url, run_id="r2")
    assert len(church.sim.requests) == before

    connect(church, db_url)  # a person reconnects on the PCO Sync page
    read(client_of(church, store_for(church, db_url)), db_url, run_id="r3")
    assert staged(db, run_id="r3") == len(church.store.tables["people"])


def test_a_product_outside_the_granted_scopes_is_not_read_and_costs_no_request(
        church, db, db_url):
    store, _ = connect(church, db_url, scope="people")
    client = client_of(church, store)
    out = read(client, db_url, resource="teams")
    assert out["not_read"].startswith("not granted (no services scope")
    assert client.stats.requests == 0
    read(client, db_url, resource="people")
    assert staged(db) == len(church.store.tables["people"])


def test_a_token_near_its_end_is_refreshed_before_it_is_used(church, db, db_url):
    store, grant = connect(church, db_url)
    db.execute("UPDATE sync.pco_oauth SET connected_at = now() - interval '119 minutes', "
               "expires_at = now() + interval '1 minute'")  # 1 minute of a 2-hour token left
    db.commit()
    client = client_of(church, store)
    read(client, db_url)
    assert client.stats.by_status.get(401) is None  # refreshed first, never refused
    assert store.status()["refreshes"] == 1
    read(client, db_url, run_id="r2")  # good for two hours now: no second refresh
    assert store.status()["refreshes"] == 1
