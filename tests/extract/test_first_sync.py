"""The first-sync rule through the real extract and merge: a windowed resource never pulled
whole into this database is read whole until a merge of such a read lands; merges of two
runs at once take turns."""
from __future__ import annotations

from datetime import datetime, timezone

from pipeline import client_for, extract, merge_resource, seed_people

WINDOW = (datetime(2026, 11, 23, 17, 0, tzinfo=timezone.utc),
          datetime(2026, 11, 23, 17, 15, tzinfo=timezone.utc))


def test_a_database_never_fully_synced_gets_everyone_then_windows(sim, db, db_url):
    ids = seed_people(sim, 30)  # all updated in 2024, long before the window
    client = client_for(sim)

    first = extract(client, db_url, "people", "run-1", window=WINDOW, manual=False)["people"]
    assert (first["mode"], first["records"]) == ("snapshot", len(ids))
    # Not fully synced until the merge is done: a run failing before it pulls whole again.
    again = extract(client, db_url, "people", "run-1b", window=WINDOW, manual=False)["people"]
    assert again["mode"] == "snapshot"

    counts = merge_resource(db_url, "people", "run-1")["people"]
    assert counts["created"] == len(ids)
    assert db.execute("SELECT stream, run_id FROM sync.full_syncs WHERE stream = 'people'"
                      ).fetchall() == [("people", "run-1")]

    later = extract(client, db_url, "people", "run-2", window=WINDOW, manual=False)["people"]
    assert (later["mode"], later["records"]) == ("window", 0)


def test_a_windowed_merge_does_not_count_as_a_full_sync(sim, db, db_url):
    seed_people(sim, 3)
    client = client_for(sim)
    db.execute("INSERT INTO sync.full_syncs (stream, run_id) VALUES ('people', 'old')")
    db.commit()
    extract(client, db_url, "people", "run-w", window=WINDOW, manual=False)
    merge_resource(db_url, "people", "run-w")
    assert db.execute("SELECT run_id FROM sync.full_syncs").fetchall() == [("old",)]


def test_merges_of_two_runs_at_once_take_turns(sim, db, db_url):
    """A backfill runs its DAG runs side by side: their merges must not both create people."""
    from concurrent.futures import ThreadPoolExecutor

    ids = seed_people(sim, 200)
    client = client_for(sim)
    for run in ("run-a", "run-b"):
        extract(client, db_url, "people", run, full_refresh=True)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda run: merge_resource(db_url, "people", run)["people"],
                                ("run-a", "run-b")))
    assert sorted(r["created"] for r in results) == [0, len(ids)]
    assert sorted(r["unchanged"] for r in results) == [0, len(ids)]
    assert db.execute("SELECT count(*), count(DISTINCT pco_id) FROM church.people").fetchone() == (len(ids), len(ids))


def test_the_first_scheduled_run_reads_every_resource_whole(db, db_url):
    """Day one: a new database's first scheduled run (a quarter hour no snapshot is due in)
    reads households, groups and teams whole too, not only people and events: after it the
    church has its families, groups and teams. The next scheduled run reads them no more."""
    from pco_simulator import SimConfig, Simulator
    from pipeline import sync

    names = ("people", "households", "groups", "teams", "events")
    with Simulator(SimConfig(rate_limit=100_000), people=60, seed=4) as seeded:
        first = sync(seeded, db_url, "scheduled-1", names, full_refresh=False, window=WINDOW,
                     manual=False)
        assert all(first["extracted"][r] is not None for r in names), first["extracted"]
        db.commit()
        for table in ("people", "families", "groups", "group_memberships"):
            assert db.execute(f"SELECT count(*) FROM church.{table} WHERE pco_id IS NOT NULL"
                              ).fetchone()[0] > 0, f"church.{table} is empty after day one"
        teams = sum(1 for _ in seeded.store.tables["teams"].values())
        assert db.execute("SELECT count(*) FROM church.groups WHERE pco_type = 'Team'"
                          ).fetchone()[0] == teams > 0
        later = sync(seeded, db_url, "scheduled-2", names, full_refresh=False, window=WINDOW,
                     manual=False)
        assert {r for r in names if later["extracted"][r] is None} == {
            "households", "groups", "teams"}
