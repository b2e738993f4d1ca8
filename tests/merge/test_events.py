"""Calendar events and their instances, from the simulator over HTTP into real PostgreSQL:
incremental windows and the daily full refresh that catches edits PCO did not timestamp,
linking a local event (sync.link_event) and unlinking it when PCO deletes the event."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from pipeline import sync
from pco_simulator.generator import generate

RESOURCES = ("events",)
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # PCO's clock in these tests
WINDOW = (NOW - timedelta(minutes=10), NOW + timedelta(minutes=5))  # holds no 03:00 refresh
REFRESH = (NOW.replace(hour=2, minute=55), NOW.replace(hour=3, minute=10))  # holds 03:00


@pytest.fixture
def church(sim):
    generate(sim.store, 200, seed=3)  # 4 events, 38 instances
    sim.store.clock_offset = NOW - datetime.now(timezone.utc)
    return sim


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def event_row(db, **where):
    (col, value), = where.items()
    return db.execute(f"SELECT id, pco_id, origin, name, description, starts_at, ends_at, "
                      f"location FROM church.events WHERE {col} = %s", (value,)).fetchone()


def occurrences(db, event_id) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in db.execute(
        "SELECT pco_id, starts_at, location, removed_in_pco_at IS NOT NULL "
        "FROM church.event_occurrences WHERE event_id = %s", (event_id,))}


def busiest_event(store) -> str:
    return max(store.tables["events"], key=lambda e: len(
        store.children("event_instances", "event_id", e)))


def local_event(db, name="Carols by Candlelight", description="Bring a torch") -> int:
    eid = db.execute("INSERT INTO church.events (name, description, location) "
                     "VALUES (%s, %s, 'Old hall') RETURNING id", (name, description)).fetchone()[0]
    db.commit()
    return eid


def test_events_and_instances_become_events_and_occurrences_with_dates(church, db, db_url):
    out = sync(church, db_url, "r1", RESOURCES)
    store = church.store
    assert out["events"]["created"] == 4
    assert out["event_occurrences"]["created"] == len(store.tables["event_instances"]) == 38
    for eid, e in store.tables["events"].items():
        _, _, origin, name, description, starts, ends, location = event_row(db, pco_id=eid)
        instances = sorted(store.children("event_instances", "event_id", eid),
                           key=lambda i: i["starts_at"])
        assert (origin, name, description) == ("pco", e["name"], e["description"])
        assert (starts, ends) == (utc(instances[0]["starts_at"]),
                                  max(utc(i["ends_at"]) for i in instances))
        assert location == instances[-1]["location"]
    again = sync(church, db_url, "r2", RESOURCES)
    assert (again["events"]["unchanged"], again["event_occurrences"]["unchanged"]) == (4, 38)
    assert again["events"]["updated"] == again["event_occurrences"]["updated"] == 0


def test_windows_take_timestamped_edits_and_the_daily_refresh_the_rest(church, db, db_url):
    sync(church, db_url, "r1", RESOURCES)
    store = church.store
    eid = busiest_event(store)
    iid = sorted(store.children("event_instances", "event_id", eid),
                 key=lambda i: i["starts_at"])[-1]["id"]
    store.update("events", eid, {"name": "Sunday Worship (new time)"})  # bumps updated_at
    store.update("event_instances", iid, {"location": "Gym"}, bump=False)  # PCO#1385

    out = sync(church, db_url, "r2", RESOURCES, full_refresh=False, window=WINDOW)
    extracted = out["extracted"]["events"]
    assert (extracted["events"]["mode"], extracted["events"]["records"]) == ("window", 1)
    assert extracted["event_instances"]["records"] == 0
    assert out["events"]["updated"] == 1 and out["events"]["unchanged"] == 0
    row = event_row(db, pco_id=eid)
    assert row[3] == "Sunday Worship (new time)"
    assert row[7] != "Gym"  # the untimestamped edit is missed by the window...

    out = sync(church, db_url, "r3", RESOURCES, full_refresh=False, window=REFRESH)
    assert out["extracted"]["events"]["event_instances"]["mode"] == "snapshot"
    assert out["event_occurrences"]["updated"] == 1
    assert occurrences(db, row[0])[iid][1] == "Gym"  # ... and the daily refresh takes it
    assert event_row(db, pco_id=eid)[7] == "Gym"  # the last occurrence's location


def test_a_local_event_linked_to_a_synced_pco_event_takes_its_place(church, db, db_url):
    sync(church, db_url, "r1", RESOURCES)
    store = church.store
    pco_event = busiest_event(store)
    synced = event_row(db, pco_id=pco_event)
    mine = local_event(db)
    assert db.execute("SELECT sync.link_event(%s, %s)", (mine, pco_event)).fetchone() == (mine,)
    db.commit()
    # the row the sync had made is folded into the local one, occurrences and all
    assert db.execute("SELECT count(*) FROM church.events WHERE id = %s", (synced[0],)
                      ).fetchone()[0] == 0
    row = event_row(db, id=mine)
    assert row[1:4] == (pco_event, "local", synced[3])
    assert row[4] == "Bring a torch"  # a local event keeps its own description
    assert row[5:] == synced[5:]  # PCO's dates and location
    assert len(occurrences(db, mine)) == len(store.children("event_instances", "event_id",
                                                            pco_event))
    assert db.execute("SELECT action, pco_id FROM sync.event_links WHERE event_id = %s",
                      (mine,)).fetchall() == [("linked", pco_event)]

    store.update("events", pco_event, {"name": "Carols 2026", "description": "PCO's words"})
    out = sync(church, db_url, "r2", RESOURCES, full_refresh=False, window=WINDOW)
    assert out["events"]["updated"] == 1 and out["events"]["created"] == 0
    assert event_row(db, id=mine)[3:5] == ("Carols 2026", "Bring a torch")

    other = local_event(db, "Another")
    with pytest.raises(psycopg.errors.RaiseException, match="is linked to local event"):
        db.execute("SELECT sync.link_event(%s, %s)", (other, pco_event))
    db.rollback()
    with pytest.raises(psycopg.errors.RaiseException, match="unlink it first"):
        db.execute("SELECT sync.link_event(%s, %s)", (mine, "2999999"))
    db.rollback()


def test_a_local_event_linked_before_its_first_sync_gets_pco_title_and_dates(church, db,
                                                                            db_url):
    store = church.store
    pco_event = busiest_event(store)
    mine = local_event(db)
    db.execute("SELECT sync.link_event(%s, %s)", (mine, pco_event))
    db.commit()
    out = sync(church, db_url, "r1", RESOURCES)
    assert out["events"]["created"] == 3  # the fourth is the local one, linked
    row = event_row(db, id=mine)
    instances = store.children("event_instances", "event_id", pco_event)
    assert row[3] == store.get("events", pco_event)["name"]
    assert row[5] == min(utc(i["starts_at"]) for i in instances)
    assert len(occurrences(db, mine)) == len(instances)


def test_an_event_deleted_in_pco_unlinks_the_local_event_which_stays(church, db, db_url):
    sync(church, db_url, "r1", RESOURCES)
    store = church.store
    pco_event = busiest_event(store)
    mine = local_event(db)
    db.execute("SELECT sync.link_event(%s, %s)", (mine, pco_event))
    db.commit()
    linked = event_row(db, id=mine)
    for i in store.children("event_instances", "event_id", pco_event):
        store.delete("event_instances", i["id"])
    store.delete("events", pco_event)

    # a window cannot see a deletion
    out = sync(church, db_url, "r2", RESOURCES, full_refresh=False, window=WINDOW)
    assert out["events"]["removed"] == 0 and event_row(db, id=mine)[1] == pco_event

    # the daily full refresh misses it, asks PCO for it, gets a 404: unlinked
    out = sync(church, db_url, "r3", RESOURCES, full_refresh=False, window=REFRESH)
    assert out["extracted"]["events"]["events"]["gone"] == 1
    assert out["events"]["removed"] == 1
    row = event_row(db, id=mine)
    assert row[1] is None and row[2:] == linked[2:]  # the local event stays, as it was
    assert {pco_id for (pco_id,) in db.execute(
        "SELECT pco_id FROM church.event_occurrences WHERE event_id = %s", (mine,))} == {None}
    assert db.execute("SELECT action FROM sync.event_links WHERE event_id = %s ORDER BY id",
                      (mine,)).fetchall() == [("linked",), ("unlinked",)]
    assert db.execute("SELECT entity, pco_id FROM sync.removed_in_pco WHERE resolved_at IS NULL"
                      ).fetchall() == [("event", pco_event)]
    again = sync(church, db_url, "r4", RESOURCES)
    assert again["events"]["removed"] == 0 and again["events"]["created"] == 0


def test_an_instance_dropped_from_a_series_is_kept_unlinked_and_marked(church, db, db_url):
    sync(church, db_url, "r1", RESOURCES)
    store = church.store
    pco_event = busiest_event(store)
    instances = sorted(store.children("event_instances", "event_id", pco_event),
                       key=lambda i: i["starts_at"])
    last = instances[-1]
    store.delete("event_instances", last["id"])
    out = sync(church, db_url, "r2", RESOURCES)
    assert out["event_occurrences"]["removed"] == 1
    event_id = event_row(db, pco_id=pco_event)[0]
    kept = db.execute("SELECT pco_id, removed_in_pco_at IS NOT NULL FROM church.event_occurrences "
                      "WHERE event_id = %s AND starts_at = %s", (event_id, utc(last["starts_at"]))
                      ).fetchone()
    assert kept == (None, True)
    assert event_row(db, pco_id=pco_event)[6] == max(utc(i["ends_at"]) for i in instances[:-1])
