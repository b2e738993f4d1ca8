"""How a run reads a resource, through the real extract and merge: scheduled runs and
backfills read their data interval; a run triggered by hand, or one without a data
interval, reads from where the merged pulls reach up to the moment it started; a product
the token cannot use is not read (and nothing of it is staged)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from pco_simulator import SimConfig, Simulator
from pco_sync import church_db
from pco_sync.errors import SettingsError
from pco_sync.extract import run as extracts
from pco_sync.pco import resources
from pipeline import client_for, extract, merge_resource, seed_people

INTERVAL = (datetime(2026, 11, 23, 17, 0, tzinfo=timezone.utc),
            datetime(2026, 11, 23, 17, 15, tzinfo=timezone.utc))


def plan(db_url, resource, window=(None, None), **kw):
    with church_db.connect(db_url) as conn:
        return extracts.plan(conn, resource, *window, **kw)


def test_a_manual_run_reads_from_the_last_merged_pull_up_to_its_start(sim, db, db_url):
    ids = seed_people(sim, 20)
    client = client_for(sim)
    extract(client, db_url, "people", "full", full_refresh=True)
    merge_resource(db_url, "people", "full")
    pulled_to = db.execute("SELECT pulled_to FROM sync.pulled_until WHERE stream = 'people'"
                           ).fetchone()[0]
    # Staff edit someone in PCO; a minute later a run is triggered by hand from the UI
    # (its data interval is the last completed 15 minutes, long before the edit).
    sim.store.update("people", ids[4], {"first_name": "Edited"})
    started = datetime.now(timezone.utc) + timedelta(seconds=1)

    read = plan(db_url, "people", INTERVAL, manual=True, until=started)
    assert (read.whole, read.start, read.end) == (False, pulled_to, started)
    got = extract(client, db_url, "people", "manual", window=INTERVAL, manual=True)  # no until:
    assert got["people"]["records"] == 0  # the stale interval alone would miss the edit
    with church_db.connect(db_url) as conn:
        staged = extracts.extract_resource(client, conn, "people", "manual", read)
    assert staged["people"]["records"] == 1
    assert merge_resource(db_url, "people", "manual")["people"]["updated"] == 1
    assert db.execute("SELECT first_name FROM church.people WHERE pco_id = %s",
                      (ids[4],)).fetchone()[0] == "Edited"
    # the mark moves on to the manual run's start
    db.commit()
    assert db.execute("SELECT pulled_to FROM sync.pulled_until WHERE stream = 'people'"
                      ).fetchone()[0] == started


def test_a_run_without_a_data_interval_reads_the_same_way(sim, db, db_url):
    seed_people(sim, 3)
    client = client_for(sim)
    extract(client, db_url, "people", "full", full_refresh=True)
    merge_resource(db_url, "people", "full")
    started = datetime.now(timezone.utc)
    read = plan(db_url, "people", (None, None), manual=False, until=started)
    assert not read.whole and read.end == started and read.start < started


def test_scheduled_runs_and_backfills_keep_their_exact_window(sim, db, db_url):
    seed_people(sim, 3)
    extract(client_for(sim), db_url, "people", "full", full_refresh=True)
    merge_resource(db_url, "people", "full")
    read = plan(db_url, "people", INTERVAL, manual=False, until=datetime.now(timezone.utc))
    assert (read.whole, read.start, read.end) == (False, *INTERVAL)


def test_a_manual_run_on_a_database_never_pulled_reads_whole(db, db_url):
    read = plan(db_url, "people", INTERVAL, manual=True, until=datetime.now(timezone.utc))
    assert read.whole


def test_a_product_the_token_cannot_use_is_not_read(db, db_url):
    with Simulator(SimConfig(rate_limit=100_000, without_products=("services",)),
                   people=30, seed=2) as sim:
        answer = requests.get(sim.url + "/services/v2/teams", auth=sim.auth)
        assert answer.status_code == 403
        assert answer.json()["errors"][0]["detail"] == "You do not have access to this resource"
        client = client_for(sim)
        got = extract(client, db_url, "teams", "run-403", full_refresh=True)
        assert got["not_read"].startswith("no access (PCO answered 403")
        assert db.execute("SELECT count(*) FROM pco_staging.extracts WHERE run_id = 'run-403'"
                          ).fetchone()[0] == 0
        # the rest of the run goes on: people are read with the same token
        assert extract(client, db_url, "people", "run-403", full_refresh=True)["people"]["records"] == 30


def test_the_resources_setting_is_checked():
    assert resources.names('["teams", "people"]', "pco_sync_resources") == ["people", "teams"]
    assert resources.names("people, groups", "pco_sync_resources") == ["people", "groups"]
    with pytest.raises(SettingsError, match="pco_sync_resources: unknown resource services"):
        resources.names('["people", "services"]', "pco_sync_resources")
    with pytest.raises(SettingsError, match="at least one"):
        resources.names("[]", "pco_sync_resources")


def test_the_nightly_run_finds_people_deleted_in_pco(sim, db, db_url):
    ids = seed_people(sim, 10)
    client = client_for(sim)
    extract(client, db_url, "people", "full", full_refresh=True)
    merge_resource(db_url, "people", "full")
    sim.store.delete("people", ids[3])  # staff delete someone in PCO; nobody tells us
    day = datetime(2026, 11, 24, tzinfo=timezone.utc)
    quarter = timedelta(minutes=15)
    # an ordinary scheduled run reads its window and cannot see the deletion
    assert not plan(db_url, "people", (day + 4 * quarter, day + 5 * quarter)).whole
    nightly = (day + 2 * 4 * quarter, day + 2 * 4 * quarter + quarter)  # 02:00-02:15
    read = plan(db_url, "people", nightly, until=datetime.now(timezone.utc))
    assert read.whole and "refresh" in read.why
    with church_db.connect(db_url) as conn:
        extracts.extract_resource(client, conn, "people", "nightly", read)
    assert merge_resource(db_url, "people", "nightly")["people"]["removed"] == 1
    db.commit()
    assert db.execute("SELECT pco_id FROM sync.removed_in_pco WHERE resolved_at IS NULL"
                      ).fetchall() == [(ids[3],)]
    # a local edit of the person PCO deleted is never pushed (no PATCH to a 404, no retries)
    db.execute("UPDATE church.people SET last_name = 'Edited' WHERE pco_id = %s", (ids[3],))
    db.commit()
    from push_helpers import push_people

    before = len(sim.sim.requests)
    counts = push_people(db, client, "after-nightly")
    assert (counts["updated"], counts["failed"], len(sim.sim.requests) - before) == (0, 0, 0)
