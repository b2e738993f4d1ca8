"""The clean-up against real PostgreSQL after real pulls from the simulator: it keeps each
record's latest staged copy, the kept runs' copies and what open items need (a push, a
conflict resolution and a quarantine "Check again" still work after it), and deletes the
rest in batches; settled rows by age."""
from __future__ import annotations

import pytest

from pco_sync.errors import SettingsError
from pco_sync.retention.clean import Retention, clean
from pco_sync.review import actions, queries
from pipeline import seed_people, sync
from push_helpers import DEFAULT, client_for, push_people, value
from review_helpers import odd_email_person

ONE_RUN = Retention(keep_runs=1)


def copies(db, table="people") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pco_id, run_id in db.execute(f"SELECT pco_id, run_id FROM pco_staging.{table} "
                                     "ORDER BY loaded_at"):
        out.setdefault(pco_id, []).append(run_id)
    return out


def test_full_reads_then_clean_up_leave_one_copy_per_record(db, db_url, sim):
    ids = seed_people(sim, 12)
    for run in ("run-1", "run-2", "run-3"):
        sync(sim, db_url, run, ("people",))
    db.commit()
    assert all(len(runs) == 3 for runs in copies(db).values())
    counts = clean(db, "run-3", ONE_RUN, batch=5)  # several batches
    assert counts["staged"] == 2 * len(ids)
    assert copies(db) == {pco_id: ["run-3"] for pco_id in ids}
    assert clean(db, "run-3", ONE_RUN)["staged"] == 0  # again: nothing more to do


def test_the_latest_copy_of_a_record_stays_whatever_its_age(db, db_url, sim):
    """A person read once and never changed since lives only in that old run's copy."""
    ids = seed_people(sim, 3)
    sync(sim, db_url, "run-1", ("people",))
    sim.store.update("people", ids[0], {"first_name": "Changed"})
    client = client_for(sim)
    for run in ("run-2", "run-3"):  # windowed reads: only what changed
        sync(sim, db_url, run, ("people",), full_refresh=False,
             window=("2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z"), client=client)
        sim.store.update("people", ids[0], {"first_name": f"Changed {run}"})
    db.commit()
    clean(db, "run-3", ONE_RUN)
    kept = copies(db)
    assert kept[ids[0]] == ["run-3"]
    assert len(kept[ids[1]]) == len(kept[ids[2]]) == 1


def test_keep_runs_keeps_the_copies_of_that_many_runs(db, db_url, sim):
    ids = seed_people(sim, 4)
    for run in ("run-1", "run-2", "run-3"):
        sync(sim, db_url, run, ("people",))
    db.commit()
    clean(db, "run-3", Retention(keep_runs=2))
    assert copies(db) == {pco_id: ["run-2", "run-3"] for pco_id in ids}


def test_push_review_and_check_again_still_work_after_a_clean_up(db, db_url, sim):
    ids = seed_people(sim, 3)
    odd = odd_email_person(sim)
    sync(sim, db_url, "run-1", ("people",))
    db.commit()
    (qid,) = [q["id"] for q in queries.items(db, "quarantine")]
    sync(sim, db_url, "run-2", ("people",))
    sync(sim, db_url, "run-3", ("people",))
    db.commit()
    clean(db, "run-3", ONE_RUN)
    # the copy the open item is about stays: "Check again" reads it
    about = value(db, "SELECT run_id FROM sync.quarantine WHERE id = %s", qid)
    assert about in copies(db)[odd]
    assert len(actions.act(db, "quarantine", "check", [qid], "dora")) == 1
    # a push compares with the latest staged copy: a local change is still sent
    person = value(db, "SELECT id FROM church.people WHERE pco_id = %s", ids[0])
    db.execute("UPDATE church.people SET nickname = 'Pip' WHERE id = %s", (person,))
    db.commit()
    counts = push_people(db, client_for(sim), "run-3", DEFAULT)
    assert (counts["updated"], counts["failed"]) == (1, 0)
    assert sim.store.get("people", ids[0])["nickname"] == "Pip"
    # a conflict found after the clean-up is resolved as before
    db.execute("UPDATE church.people SET last_name = 'Here' WHERE id = %s", (person,))
    db.commit()
    sim.store.update("people", ids[0], {"last_name": "There"})
    sync(sim, db_url, "run-4", ("people",))
    db.commit()
    clean(db, "run-4", ONE_RUN)
    (conflict,) = [c["id"] for c in queries.items(db, "conflicts")]
    actions.act(db, "conflicts", "pco", [conflict], "carol")
    assert value(db, "SELECT last_name FROM church.people WHERE id = %s", person) == "There"


def test_settled_rows_go_by_age_open_ones_stay(db, db_url, sim):
    db.execute("INSERT INTO sync.quarantine (run_id, stream, pco_id, check_name, detail, "
               "payload, resolved_at) VALUES "
               "('old', 'people', '1', 'c', 'r', '{}', now() - interval '40 days'), "
               "('new', 'people', '2', 'c', 'r', '{}', now() - interval '2 days'), "
               "('open', 'people', '3', 'c', 'r', '{}', NULL)")
    db.execute("INSERT INTO sync.webhook_deliveries (delivery_id, name, payload, processed_at) "
               "VALUES ('a', 'x', '{}', now() - interval '40 days'), "
               "('b', 'x', '{}', now() - interval '1 day'), ('c', 'x', '{}', NULL)")
    db.execute("INSERT INTO pco_staging.fetches (run_id, stream, parent_pco_id, status, "
               "records, requests, fetched_at) VALUES "
               "('r1', 'group_memberships', 'g1', 'ok', 1, 1, now() - interval '50 days'), "
               "('r2', 'group_memberships', 'g1', 'ok', 1, 1, now() - interval '45 days'), "
               "('r1', 'group_memberships', 'g2', 'ok', 1, 1, now() - interval '50 days')")
    db.execute("INSERT INTO sync.quality_results (run_id, stream, frame, suite, success, "
               "statistics, result, validated_at) VALUES "
               "('old', 'people', 'f', 's', false, '{}', '{}', now() - interval '40 days'), "
               "('open', 'people', 'f', 's', false, '{}', '{}', now() - interval '40 days'), "
               "('new', 'people', 'f', 's', true, '{}', '{}', now() - interval '2 days')")
    db.commit()
    counts = clean(db, "run-now", Retention(keep_runs=1, keep_days=30))
    assert (counts["quarantine"], counts["webhook_deliveries"], counts["fetches"]) == (1, 1, 1)
    # Data Docs: the old ones go, but not those of a run whose quarantine item is still open
    assert counts["quality_results"] == 1
    assert [r for (r,) in db.execute("SELECT run_id FROM sync.quality_results "
                                     "ORDER BY run_id")] == ["new", "open"]
    assert [r for (r,) in db.execute("SELECT run_id FROM sync.quarantine ORDER BY run_id")] == [
        "new", "open"]
    assert [d for (d,) in db.execute("SELECT delivery_id FROM sync.webhook_deliveries "
                                     "ORDER BY delivery_id")] == ["b", "c"]
    # the latest read of each group stays: the next snapshot compares with it
    assert sorted(db.execute("SELECT run_id, parent_pco_id FROM pco_staging.fetches")) == [
        ("r1", "g2"), ("r2", "g1")]


@pytest.mark.parametrize("runs, days, message", [
    ("0", None, "pco_sync_staging_keep_runs must be a whole number of at least 1, not '0'"),
    ("lots", None, "pco_sync_staging_keep_runs must be a whole number"),
    (None, "-1", "pco_sync_retention_days must be a whole number of at least 0"),
])
def test_bad_settings_are_named(runs, days, message):
    with pytest.raises(SettingsError, match=message):
        Retention.parse(runs, days)
    assert Retention.parse(None, " ") == Retention()
    assert Retention.parse("4", "7") == Retention(4, 7)
