"""Conflicts settled by staff through sync.resolve_conflict, end to end against the simulator
and real PostgreSQL: keep local (sent by the next push), take PCO (written locally at once),
a typed value; the conflict stays closed on later runs; every resolution audited; bad input
refused with nothing changed."""
from __future__ import annotations

import psycopg
import pytest

from push_helpers import DEFAULT, pull, push_families, push_people, value
from review_helpers import ann_renamed_on_both_sides, lee_family_renamed_on_both_sides


@pytest.fixture
def conflict(db, db_url, sim):
    """Ann Lee pushed to PCO, then renamed on both sides (Anna in PCO, Annie here): one open
    first_name conflict. (client, person id, PCO id, conflict id)."""
    client, pid, pco_id = ann_renamed_on_both_sides(db, sim)
    assert pull(client, db, db_url, "pull-1")["people"]["conflicts"] == 1
    cid = value(db, "SELECT id FROM sync.conflicts WHERE resolved_at IS NULL "
                    "AND entity = 'person' AND field = 'first_name'")
    return client, pid, pco_id, cid


def next_run(client, db, db_url, run_id):
    """A run's pull and push: (pull counts, push counts)."""
    pulled = pull(client, db, db_url, run_id)
    return pulled, push_people(db, client, run_id, DEFAULT)


def open_conflicts(db):
    return value(db, "SELECT count(*) FROM sync.conflicts WHERE resolved_at IS NULL")


def test_keep_local_is_sent_to_pco_and_stays_closed(db, db_url, sim, conflict):
    client, pid, pco_id, cid = conflict
    db.execute("SELECT sync.resolve_conflict(%s, 'local', actor => 'alice')", (cid,))
    db.commit()
    assert value(db, "SELECT resolution, resolved_by FROM sync.conflicts WHERE id = %s",
                 cid) == ("local", "alice")
    pulled, pushed = next_run(client, db, db_url, "run-2")
    assert pulled["people"]["conflicts"] == 0 and pushed["updated"] == 1
    assert sim.store.get("people", pco_id)["first_name"] == "Annie"
    assert value(db, "SELECT first_name FROM church.people WHERE id = %s", pid) == "Annie"
    assert open_conflicts(db) == 0
    # the run after: both sides agree, nothing to send, nothing reopened
    pulled, pushed = next_run(client, db, db_url, "run-3")
    assert pulled["people"]["conflicts"] == 0 and pushed["requests"] == 0
    assert open_conflicts(db) == 0
    [log] = db.execute("SELECT actor, action, entity, local_id, pco_id, field, subject_id, "
                       "before, after FROM sync.resolution_log").fetchall()
    assert log == ("alice", "conflict:local", "person", pid, pco_id, "first_name", cid,
                   {"local": "Annie", "pco": "Anna", "agreed": "Ann"},
                   {"local": "Annie", "agreed": "Anna"})


def test_take_pco_is_written_locally_at_once(db, db_url, sim, conflict):
    client, pid, pco_id, cid = conflict
    db.execute("SELECT sync.resolve_conflict(%s, 'pco')", (cid,))
    db.commit()
    assert value(db, "SELECT first_name FROM church.people WHERE id = %s", pid) == "Anna"
    pulled, pushed = next_run(client, db, db_url, "run-2")
    assert pulled["people"]["conflicts"] == 0 and pushed["requests"] == 0
    assert value(db, "SELECT first_name FROM church.people WHERE id = %s", pid) == "Anna"
    assert sim.store.get("people", pco_id)["first_name"] == "Anna"
    assert open_conflicts(db) == 0
    # a side changing again is a change again: PCO renames, the merge takes it, no conflict
    sim.store.update("people", pco_id, {"first_name": "Anne"})
    pulled, _ = next_run(client, db, db_url, "run-3")
    assert pulled["people"]["conflicts"] == 0
    assert value(db, "SELECT first_name FROM church.people WHERE id = %s", pid) == "Anne"
    assert value(db, "SELECT action, actor FROM sync.resolution_log") == (
        "conflict:pco", value(db, "SELECT current_user"))


def test_typed_value_is_written_locally_and_sent(db, db_url, sim, conflict):
    client, pid, pco_id, cid = conflict
    db.execute("SELECT sync.resolve_conflict(%s, 'value', 'Ann-Marie', 'bob')", (cid,))
    db.commit()
    assert value(db, "SELECT first_name FROM church.people WHERE id = %s", pid) == "Ann-Marie"
    pulled, pushed = next_run(client, db, db_url, "run-2")
    assert pulled["people"]["conflicts"] == 0 and pushed["updated"] == 1
    assert sim.store.get("people", pco_id)["first_name"] == "Ann-Marie"
    assert next_run(client, db, db_url, "run-3")[1]["requests"] == 0
    assert open_conflicts(db) == 0
    history = db.execute("SELECT action, after ->> 'local' FROM sync.resolution_history("
                         "'person', %s)", (pid,)).fetchall()
    assert history == [("conflict:value", "Ann-Marie")]


def test_typed_birthdate_is_checked_against_the_column(db, db_url, sim, conflict):
    client, pid, pco_id, _ = conflict
    sim.store.update("people", pco_id, {"birthdate": "1980-01-02"})
    db.execute("UPDATE church.people SET birthdate = '1981-03-04' WHERE id = %s", (pid,))
    db.commit()
    pull(client, db, db_url, "pull-2")
    cid = value(db, "SELECT id FROM sync.conflicts WHERE field = 'birthdate' "
                    "AND resolved_at IS NULL")
    with pytest.raises(psycopg.errors.InvalidDatetimeFormat):
        db.execute("SELECT sync.resolve_conflict(%s, 'value', 'not a date')", (cid,))
    db.rollback()
    db.execute("SELECT sync.resolve_conflict(%s, 'value', '1980-01-03')", (cid,))
    db.commit()
    next_run(client, db, db_url, "run-3")
    assert sim.store.get("people", pco_id)["birthdate"] == "1980-01-03"
    assert str(value(db, "SELECT birthdate FROM church.people WHERE id = %s", pid)) == "1980-01-03"
    assert open_conflicts(db) == 1  # the first_name one, untouched


def test_contact_conflict_keep_local(db, db_url, sim, conflict):
    client, pid, pco_id, _ = conflict
    [phone] = sim.store.children("phone_numbers", "person_id", pco_id)
    sim.store.update("phone_numbers", phone["id"], {"number": "614-555-0199"})
    db.execute("UPDATE church.phone_numbers SET number = '614-555-0142' WHERE person_id = %s",
               (pid,))
    db.commit()
    pull(client, db, db_url, "pull-2")
    cid = value(db, "SELECT id FROM sync.conflicts WHERE entity = 'phone_number' "
                    "AND field = 'number' AND resolved_at IS NULL")
    assert cid is not None
    db.execute("SELECT sync.resolve_conflict(%s, 'local')", (cid,))
    db.commit()
    pulled, _ = next_run(client, db, db_url, "run-3")
    assert sim.store.get("phone_numbers", phone["id"])["number"] == "614-555-0142"
    assert value(db, "SELECT number FROM church.phone_numbers WHERE person_id = %s",
                 pid) == "614-555-0142"
    next_run(client, db, db_url, "run-4")
    assert value(db, "SELECT count(*) FROM sync.conflicts WHERE entity = 'phone_number' "
                     "AND resolved_at IS NULL") == 0


def test_bulk_resolution_is_all_or_nothing(db, db_url, sim, conflict):
    client, pid, pco_id, cid = conflict
    with pytest.raises(psycopg.errors.NoDataFound, match="no conflict 999999"):
        db.execute("SELECT sync.resolve_conflicts(ARRAY[%s, 999999]::bigint[], 'pco')", (cid,))
    db.rollback()
    assert open_conflicts(db) == 1
    assert value(db, "SELECT first_name FROM church.people WHERE id = %s", pid) == "Annie"
    assert value(db, "SELECT sync.resolve_conflicts(ARRAY[%s]::bigint[], 'pco')", cid) == 1
    db.commit()
    assert open_conflicts(db) == 0


@pytest.mark.parametrize("args, error, message", [
    ((999999, "local", None), psycopg.errors.NoDataFound, "no conflict 999999"),
    ((None, "keep", None), psycopg.errors.InvalidParameterValue, "choice must be local, pco or value"),
    ((None, "value", None), psycopg.errors.InvalidParameterValue, "only then"),
    ((None, "local", "x"), psycopg.errors.InvalidParameterValue, "only then"),
])
def test_bad_input_is_refused_and_changes_nothing(db, conflict, args, error, message):
    _, pid, _, cid = conflict
    target, choice, typed = args
    with pytest.raises(error, match=message):
        db.execute("SELECT sync.resolve_conflict(%s, %s, %s)", (target or cid, choice, typed))
    db.rollback()
    assert open_conflicts(db) == 1
    assert value(db, "SELECT count(*) FROM sync.resolution_log") == 0
    assert value(db, "SELECT first_name FROM sync.agreed_people WHERE person_id = %s", pid) == "Ann"


def test_an_already_resolved_conflict_is_refused(db, conflict):
    _, pid, _, cid = conflict
    db.execute("SELECT sync.resolve_conflict(%s, 'pco')", (cid,))
    db.commit()
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="already resolved"):
        db.execute("SELECT sync.resolve_conflict(%s, 'local')", (cid,))
    db.rollback()
    assert value(db, "SELECT count(*) FROM sync.resolution_log") == 1
    assert value(db, "SELECT first_name FROM church.people WHERE id = %s", pid) == "Anna"


def test_family_name_keep_local(db, db_url, sim):
    client, _, hid = lee_family_renamed_on_both_sides(db, sim)
    assert pull(client, db, db_url, "pull-1", ("people", "households"))["families"]["conflicts"] == 1
    cid = value(db, "SELECT id FROM sync.conflicts WHERE entity = 'family' AND field = 'name'")
    db.execute("SELECT sync.resolve_conflict(%s, 'local')", (cid,))
    db.commit()
    assert pull(client, db, db_url, "pull-2", ("people", "households"))["families"]["conflicts"] == 0
    assert push_families(db, client, "pull-2")["updated"] == 1
    assert sim.store.get("households", hid)["name"] == "Lee Household"
    assert pull(client, db, db_url, "pull-3", ("people", "households"))["families"]["conflicts"] == 0
    assert push_families(db, client, "pull-3")["requests"] == 0
    assert open_conflicts(db) == 0
