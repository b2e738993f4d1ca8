"""People and households PCO no longer has: merged away (links follow the merge) or deleted
(seen in a full snapshot). Real pieces: the simulator over HTTP, extract, merge, PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

from pipeline import client_for, extract, merge_resource, seed_people

WINDOW = (datetime(2026, 11, 23, 17, 0, tzinfo=timezone.utc),
          datetime(2026, 11, 23, 17, 15, tzinfo=timezone.utc))


def sync(sim, db_url, run_id, *, full=True):
    client = client_for(sim)
    extracted = extract(client, db_url, "people", run_id, window=WINDOW, full_refresh=full)
    return extracted, merge_resource(db_url, "people", run_id)["people"]


def local_id(db, pco_id):
    return db.execute("SELECT id FROM church.people WHERE pco_id = %s", (pco_id,)).fetchone()


def open_removals(db):
    return db.execute("SELECT entity, local_id, pco_id, reason FROM sync.removed_in_pco "
                      "WHERE resolved_at IS NULL ORDER BY local_id").fetchall()


def test_a_person_merged_into_someone_new_keeps_their_local_record(sim, db, db_url):
    x, other = seed_people(sim, 2)
    sync(sim, db_url, "run-1")
    (x_local,) = local_id(db, x)
    # In PCO, X is merged into a person the church database has never seen.
    y = sim.store.insert("people", {**sim.store.get("people", x), "id": None,
                                    "first_name": "Xavier", "remote_id": None})["id"]
    sim.store.merge_people(y, x)

    extracted, counts = sync(sim, db_url, "run-2")
    assert extracted["person_mergers"]["records"] == 1
    assert counts["created"] == 0 and counts["updated"] == 1
    assert local_id(db, y) == (x_local,) and local_id(db, x) is None
    assert db.execute("SELECT first_name FROM church.people WHERE id = %s", (x_local,)).fetchone() == ("Xavier",)
    assert db.execute("SELECT pco_id FROM sync.agreed_people WHERE person_id = %s", (x_local,)).fetchone() == (y,)
    assert open_removals(db) == []
    assert sync(sim, db_url, "run-3")[1]["updated"] == 0  # settled: nothing more to do


def test_merged_chains_follow_to_the_last_kept_person(sim, db, db_url):
    a, b, c = seed_people(sim, 3)
    sync(sim, db_url, "run-1")
    ids = {p: local_id(db, p)[0] for p in (a, b, c)}
    sim.store.merge_people(b, a)  # A into B, then B into C: A's and B's records both lead to C
    sim.store.merge_people(c, b)
    _, counts = sync(sim, db_url, "run-2")
    assert counts["created"] == 0
    assert local_id(db, c) == (ids[c],)  # C was already linked: A and B are not relinked onto it
    removals = {local: reason for _, local, _, reason in open_removals(db)}
    assert set(removals) == {ids[a], ids[b]}
    assert all(r.startswith(f"merged in PCO into {c}, which is linked to local person {ids[c]}")
               for r in removals.values())
    assert counts["removed"] == 2


def test_a_person_deleted_in_pco_is_flagged_by_a_full_pull_not_by_a_window(sim, db, db_url):
    gone, stays = seed_people(sim, 2)
    sync(sim, db_url, "run-1")
    (gone_local,) = local_id(db, gone)
    sim.store.delete_person(gone)

    _, windowed = sync(sim, db_url, "run-2", full=False)
    assert windowed["removed"] == 0 and open_removals(db) == []

    _, counts = sync(sim, db_url, "run-3")
    assert counts["removed"] == 1
    assert open_removals(db) == [("person", gone_local, gone, "absent from full snapshot")]
    assert local_id(db, gone) == (gone_local,)  # the local person stays
    # re-running the same run, and a later run, record it once
    assert merge_resource(db_url, "people", "run-3")["people"]["removed"] == 1
    assert sync(sim, db_url, "run-4")[1]["removed"] == 0
    assert len(open_removals(db)) == 1


def test_a_household_deleted_in_pco_flags_its_family(sim, db, db_url):
    p1, p2 = seed_people(sim, 2)
    hh = sim.store.create_household("The Tests", [p1, p2], p1)
    sync(sim, db_url, "run-1")
    client = client_for(sim)
    extract(client, db_url, "households", "run-1", full_refresh=True)
    assert merge_resource(db_url, "households", "run-1")["families"]["created"] == 1
    sim.store.delete_household(hh["id"])
    extract(client, db_url, "households", "run-2", full_refresh=True)
    assert merge_resource(db_url, "households", "run-2")["families"]["removed"] == 1
    (entity, family_id, pco_id, _), = open_removals(db)
    assert (entity, pco_id) == ("family", hh["id"])
    assert db.execute("SELECT count(*) FROM church.family_members WHERE family_id = %s",
                      (family_id,)).fetchone()[0] == 2  # family and members stay
