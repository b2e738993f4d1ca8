"""Task bodies (pco_sync.tasks) without Airflow: the first-sync rule and the run summary."""
from __future__ import annotations

from datetime import datetime, timezone

from pco_sync import tasks
from test_extract import client_for, seed_people

WINDOW = (datetime(2026, 11, 23, 17, 0, tzinfo=timezone.utc),
          datetime(2026, 11, 23, 17, 15, tzinfo=timezone.utc))


def test_a_database_never_fully_synced_gets_everyone_then_windows(sim, db, db_url):
    ids = seed_people(sim, 30)  # all updated in 2024, long before the window
    client = client_for(sim)

    first = tasks.extract_stream(client, db_url, "people", "run-1", window_start=WINDOW[0],
                                 window_end=WINDOW[1], full_refresh=False)
    assert (first["mode"], first["records"]) == ("snapshot", len(ids))
    # Not fully synced until the merge is done: a run failing before it pulls whole again.
    again = tasks.extract_stream(client, db_url, "people", "run-1b", window_start=WINDOW[0],
                                 window_end=WINDOW[1], full_refresh=False)
    assert again["mode"] == "snapshot"

    counts = tasks.merge(db_url, "run-1", "people")
    assert counts["created"] == len(ids)
    assert db.execute("SELECT stream, run_id FROM sync.full_syncs").fetchall() == [("people", "run-1")]

    later = tasks.extract_stream(client, db_url, "people", "run-2", window_start=WINDOW[0],
                                 window_end=WINDOW[1], full_refresh=False)
    assert (later["mode"], later["records"]) == ("window", 0)


def test_a_windowed_merge_does_not_count_as_a_full_sync(sim, db, db_url):
    seed_people(sim, 3)
    client = client_for(sim)
    db.execute("INSERT INTO sync.full_syncs (stream, run_id) VALUES ('people', 'old')")
    db.commit()
    tasks.extract_stream(client, db_url, "people", "run-w", window_start=WINDOW[0],
                         window_end=WINDOW[1], full_refresh=False)
    tasks.merge(db_url, "run-w", "people")
    assert db.execute("SELECT run_id FROM sync.full_syncs").fetchall() == [("old",)]


def test_summary_rows_keep_inbound_keys_and_extra_push_keys():
    summary = tasks.summarize(
        {"people": {"quarantined": 2}, "households": None},
        {"people": {"created": 3, "updated": 1, "unchanged": 5, "needs_review": 1, "conflicts": 0},
         "families": None,
         "push people": {"created": 4, "failed": 1, "skipped": 2}})
    assert summary["people"] == {"created": 3, "updated": 1, "unchanged": 5, "quarantined": 2,
                                 "needs_review": 1, "conflicts": 0}
    assert summary["families"] == dict.fromkeys(tasks.COUNT_KEYS, 0)
    assert summary["push people"] == {"created": 4, "failed": 1, "skipped": 2}
    table = tasks.summary_table(summary).splitlines()
    assert table[0].split() == ["pulled", "from", "PCO", "created", "updated", "unchanged",
                                "quarantined", "needs", "review", "conflicts"]
    assert table[2].split() == ["people", "3", "1", "5", "2", "1", "0"]
    # pushes get their own table with their own columns
    assert table[5].split() == ["pushed", "to", "PCO", "created", "failed", "skipped"]
    assert table[7].split() == ["people", "4", "1", "2"]


def test_merges_of_two_runs_at_once_take_turns(sim, db, db_url):
    """A backfill runs its DAG runs side by side: their merges must not both create people."""
    from concurrent.futures import ThreadPoolExecutor

    ids = seed_people(sim, 200)
    client = client_for(sim)
    for run in ("run-a", "run-b"):
        tasks.extract_stream(client, db_url, "people", run, window_start=None, window_end=None,
                             full_refresh=True)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda run: tasks.merge(db_url, run, "people"), ("run-a", "run-b")))
    assert sorted(r["created"] for r in results) == [0, len(ids)]
    assert sorted(r["unchanged"] for r in results) == [0, len(ids)]
    assert db.execute("SELECT count(*), count(DISTINCT pco_id) FROM church.people").fetchone() == (len(ids), len(ids))
