"""Deliveries from the simulator's real webhooks, through the receiver (over HTTP, the test
database as its church) and the drain (as the DAG's task runs it): each record read fresh
from PCO and merged as a 15-minute run merges it."""
from __future__ import annotations

import time

import pytest
import requests

from pipeline import client_for, extract, merge_resource, seed_people, sync
from push_helpers import value
from webhook_helpers import drain, receiver, wait_for_deliveries

UPDATED = "people.v2.events.person.updated"


@pytest.fixture
def world(sim, db, db_url, monkeypatch):
    """(sim, client, receiver): 30 people synced here, the simulator subscribed to every
    event pco-sync reads, posting to the receiver."""
    seed_people(sim, 30)
    sync(sim, db_url, "run-1", ("people", "households", "groups"))
    db.commit()
    client = client_for(sim, max_retries=2)
    with receiver(db_url, monkeypatch) as r:
        r.subscribe(sim, client)
        yield sim, client, r


def edit(sim, table, pco_id, **fields):
    answer = requests.patch(f"{sim.url}/__admin/records/{table}/{pco_id}", json=fields, timeout=10)
    assert answer.status_code == 200, answer.text


def first_name(db, pco_id):
    db.commit()
    return value(db, "SELECT first_name FROM church.people WHERE pco_id = %s", pco_id)


def deliveries(db):
    db.commit()
    return db.execute("SELECT name, pco_id, outcome, run_id, processed_at IS NOT NULL, tries "
                      "FROM sync.webhook_deliveries ORDER BY id").fetchall()


def gets(sim, path_prefix):
    return [r for r in sim.sim.requests if r["method"] == "GET" and r["path"].startswith(path_prefix)]


def test_an_edit_in_pco_is_merged_by_the_next_drain(world, db, db_url):
    sim, client, _ = world
    edit(sim, "people", "10000003", first_name="Zelda")
    wait_for_deliveries(db, 1)
    drained = drain(db_url, client, "wh-1")
    assert first_name(db, "10000003") == "Zelda"
    assert deliveries(db) == [(UPDATED, "10000003", "read", "wh-1", True, 0)]
    assert drained.merged["people"]["people"]["updated"] == 1
    assert drained.outcomes == {"read": 1}
    # Nothing left: the next drain reads nothing from PCO.
    before = len(sim.sim.requests)
    assert drain(db_url, client, "wh-2").deliveries == 0
    assert len(sim.sim.requests) == before


def test_a_run_that_read_a_person_before_a_webhook_batch_merges_no_older_copy(world, db,
                                                                              db_url):
    """A 15-minute run reads a person, then the person changes in PCO and a webhook batch
    merges the change, then the run's merge comes: it must not put the older copy back."""
    sim, client, _ = world
    # The first sync came before any delivery: no copies recorded, none needed.
    assert value(db, "SELECT count(*) FROM sync.merged_copies") == 0
    edit(sim, "people", "10000004", first_name="Before")
    extract(client, db_url, "people", "run-2", full_refresh=True)  # the run has read "Before"
    edit(sim, "people", "10000004", first_name="After")
    wait_for_deliveries(db, 2)
    drain(db_url, client, "wh-1")
    assert first_name(db, "10000004") == "After"
    merged = merge_resource(db_url, "people", "run-2")
    assert first_name(db, "10000004") == "After"  # not "Before" again
    assert merged["people"]["updated"] == 0  # the run's copies were all older than wh-1's
    # A copy read after the batch's is merged as ever.
    edit(sim, "people", "10000004", first_name="Third")
    extract(client, db_url, "people", "run-3", full_refresh=True)
    assert merge_resource(db_url, "people", "run-3")["people"]["updated"] == 1
    assert first_name(db, "10000004") == "Third"
    db.commit()
    assert db.execute("SELECT run_id FROM sync.merged_copies WHERE stream = 'people' "
                      "AND pco_id = '10000004'").fetchone() == ("run-3",)


def test_an_older_delivery_after_a_newer_one_never_brings_old_data_back(world, db, db_url,
                                                                       monkeypatch):
    """PCO does not keep order: the first edit's delivery fails (the receiver cannot store
    it: 503), the second edit's arrives and is merged, then PCO's retry of the first comes."""
    from pco_sync.airflow import webhooks_api

    sim, client, _ = world
    sim.config.webhook_retry_base = 5.0  # the retry comes after the drain below took its batch
    real = webhooks_api._church_db
    failures = []

    def first_fails(church):
        if not failures:
            failures.append(1)
            raise OSError("the church database is restarting")
        return real(church)
    monkeypatch.setattr(webhooks_api, "_church_db", first_fails)

    edit(sim, "people", "10000005", first_name="Older")
    deadline = time.monotonic() + 10
    while not failures:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    edit(sim, "people", "10000005", first_name="Newer")
    wait_for_deliveries(db, 1)
    drain(db_url, client, "wh-1")
    assert first_name(db, "10000005") == "Newer"

    wait_for_deliveries(db, 2)  # PCO's retry of the older delivery (attempt 2)
    late = db.execute("SELECT payload -> 'data' -> 'attributes' ->> 'first_name', attempt, "
                      "processed_at FROM sync.webhook_deliveries ORDER BY id DESC LIMIT 1").fetchone()
    assert late == ("Older", 2, None)  # it does carry the older name
    drain(db_url, client, "wh-2")
    assert first_name(db, "10000005") == "Newer"  # read fresh: PCO says Newer
    assert [d[2:5] for d in deliveries(db)] == [("read", "wh-1", True), ("read", "wh-2", True)]


def test_a_destroyed_person_goes_to_removed_in_pco_and_stays_here(world, db, db_url):
    sim, client, _ = world
    local = value(db, "SELECT id FROM church.people WHERE pco_id = '10000007'")
    assert requests.delete(f"{sim.url}/__admin/records/people/10000007", timeout=10).ok
    # the person, their email and their phone number: three destroyed deliveries
    wait_for_deliveries(db, 3)
    drained = drain(db_url, client, "wh-1")
    db.commit()
    assert value(db, "SELECT count(*) FROM church.people WHERE id = %s", local) == 1
    assert value(db, "SELECT count(*) FROM church.emails WHERE person_id = %s", local) == 1
    assert db.execute("SELECT entity, local_id, reason, run_id FROM sync.removed_in_pco "
                      "WHERE resolved_at IS NULL").fetchall() == [
        ("person", local, "deleted in PCO (404 when asked)", "wh-1")]
    assert {d[0].rsplit(".", 2)[-2] for d in deliveries(db)} == {"person", "email", "phone_number"}
    assert {d[2] for d in deliveries(db)} == {"gone"}
    assert drained.merged["people"]["people"]["removed"] == 1
    assert len(gets(sim, "/people/v2/people/10000007")) == 1  # one read for three deliveries


def test_a_burst_of_500_deliveries_is_processed_exactly_once(sim, db, db_url, monkeypatch):
    seed_people(sim, 500)
    sync(sim, db_url, "run-1", ("people",))
    db.commit()
    client = client_for(sim, max_retries=2)
    with receiver(db_url, monkeypatch) as r:
        r.subscribe(sim, client, [UPDATED])
        ids = [str(10_000_001 + i) for i in range(500)]
        session = requests.Session()
        for i, pco_id in enumerate(ids):
            assert session.patch(f"{sim.url}/__admin/records/people/{pco_id}",
                                 json={"nickname": f"Burst{i}"}, timeout=10).ok
        wait_for_deliveries(db, 500, timeout=120)
        sim.sim.requests.clear()
        drained = drain(db_url, client, "wh-1", batch_size=200)
    assert drained.deliveries == 500 and drained.batches == 3
    assert drained.merged["people"]["people"]["updated"] == 500
    rows = deliveries(db)
    assert len(rows) == 500 and all(done for *_, done, _ in rows)
    assert {run for _, _, _, run, _, _ in rows} == {"wh-1", "wh-1.2", "wh-1.3"}
    person_gets = [r["path"] for r in gets(sim, "/people/v2/people/")]
    assert sorted(person_gets) == sorted(f"/people/v2/people/{p}" for p in ids)  # once each
    assert value(db, "SELECT count(*) FROM church.people WHERE nickname LIKE 'Burst%%'") == 500
    assert drain(db_url, client, "wh-2").deliveries == 0  # nothing is processed twice


def test_a_delivery_whose_processing_fails_is_kept_and_retried(world, db, db_url):
    from pco_sync.errors import PcoError

    sim, client, _ = world
    edit(sim, "people", "10000009", first_name="Retry")
    wait_for_deliveries(db, 1)
    sim.sim.faults.add({"kind": "error", "status": 503, "path": "/people/v2/people/*"})
    with pytest.raises(PcoError):
        drain(db_url, client, "wh-1")
    db.commit()
    tries, error, due_later, done = db.execute(
        "SELECT tries, last_error, next_try_at > now(), processed_at IS NOT NULL "
        "FROM sync.webhook_deliveries").fetchone()
    assert (tries, due_later, done) == (1, True, False)
    assert "PcoError" in error and "503" in error
    assert first_name(db, "10000009") != "Retry"
    # PCO still down at the retry: the delivery waits longer, still kept
    db.execute("UPDATE sync.webhook_deliveries SET next_try_at = now()")
    db.commit()
    with pytest.raises(PcoError):
        drain(db_url, client, "wh-1")  # Airflow's retry of the same task
    assert value(db, "SELECT tries FROM sync.webhook_deliveries") == 2

    sim.sim.faults.clear()
    assert drain(db_url, client, "wh-2").deliveries == 0  # not due yet: no hammering
    db.execute("UPDATE sync.webhook_deliveries SET next_try_at = now()")
    db.commit()
    assert drain(db_url, client, "wh-3").deliveries == 1
    assert first_name(db, "10000009") == "Retry"
    assert deliveries(db) == [(UPDATED, "10000009", "read", "wh-3", True, 2)]


def test_contact_changes_read_the_person(world, db, db_url):
    sim, client, _ = world
    r = requests.post(f"{sim.url}/__admin/records/emails", json={
        "person_id": "10000011", "address": "second@example.org", "location": "Work",
        "primary": False, "blocked": False}, timeout=10)
    assert r.ok
    edit(sim, "phone_numbers", "30000011", number="6145550999")
    # email.created, phone_number.updated and the person.updated the phone edit causes
    wait_for_deliveries(db, 3)
    drain(db_url, client, "wh-1")
    local = value(db, "SELECT id FROM church.people WHERE pco_id = '10000011'")
    assert value(db, "SELECT count(*) FROM church.emails WHERE person_id = %s "
                     "AND address = 'second@example.org'", local) == 1
    assert "0999" in value(db, "SELECT number FROM church.phone_numbers WHERE person_id = %s", local)
    assert len(gets(sim, "/people/v2/people/10000011")) == 1


def test_a_new_household_and_a_group_membership(world, db, db_url):
    sim, client, _ = world
    gtype = sim.store.insert("group_types", {"name": "Small groups"}, emit=False)
    group = sim.store.insert("groups", {"name": "Tuesday", "group_type_id": gtype["id"],
                                        "memberships_count": 0}, emit=False)
    sim.store.create_household("Test Household", ["10000013", "10000014"], "10000013")
    wait_for_deliveries(db, 1, name="people.v2.events.household.created")
    answer = requests.post(f"{sim.url}/__admin/groups/{group['id']}/members",
                           json={"person_id": "10000013"}, timeout=10)
    assert answer.ok, answer.text
    wait_for_deliveries(db, 1, name="groups.v2.events.membership.created")
    drained = drain(db_url, client, "wh-1")
    db.commit()
    family = value(db, "SELECT id FROM church.families WHERE name = 'Test Household'")
    assert family and value(db, "SELECT count(*) FROM church.family_members WHERE family_id = %s",
                            family) == 2
    assert value(db, "SELECT count(*) FROM church.group_memberships m JOIN church.groups g "
                     "ON g.id = m.group_id JOIN church.people p ON p.id = m.person_id "
                     "WHERE g.pco_id = %s AND p.pco_id = '10000013' AND m.ended_at IS NULL",
                 group["id"]) == 1
    assert drained.merged["households"]["families"]["created"] == 1


def test_a_merge_in_pco_moves_the_link_and_is_not_a_deletion(world, db, db_url):
    sim, client, _ = world
    removed_local = value(db, "SELECT id FROM church.people WHERE pco_id = '10000016'")
    sim.store.merge_people("10000015", "10000016")
    wait_for_deliveries(db, 1, name="people.v2.events.person_merger.created")
    wait_for_deliveries(db, 1, name="people.v2.events.person.destroyed")
    drain(db_url, client, "wh-1")
    db.commit()
    assert not db.execute("SELECT 1 FROM sync.removed_in_pco WHERE reason LIKE 'deleted%%'"
                          ).fetchall()
    # both were linked here: two local records of one PCO person, for staff to merge
    assert db.execute("SELECT local_id, reason FROM sync.removed_in_pco").fetchall() == [
        (removed_local, "merged in PCO into 10000015, which is linked to local person "
                        f"{value(db, 'SELECT id FROM church.people WHERE pco_id = %s', '10000015')}")]


def test_deliveries_pco_sync_does_not_read_are_done_as_ignored(world, db, db_url):
    sim, client, r = world
    gtype = sim.store.insert("group_types", {"name": "Classes"}, emit=False)
    group = sim.store.insert("groups", {"name": "Thursday", "group_type_id": gtype["id"],
                                        "memberships_count": 0}, emit=False)
    sim.store.add_group_member(group["id"], "10000020")
    wait_for_deliveries(db, 1, name="groups.v2.events.membership.created")
    before = len(gets(sim, "/groups/"))
    drain(db_url, client, "wh-1", synced=("people", "households"))
    assert [d[2] for d in deliveries(db)] == ["ignored: groups are not synced"]
    assert len(gets(sim, "/groups/")) == before  # nothing read for it
