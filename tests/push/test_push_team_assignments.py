"""Pushing Services team assignments against the simulator over HTTP and real PostgreSQL
(issue 20 item 2): a position a local member of a PCO team holds becomes one person team
position assignment, exactly once across reruns, pulls and a crash between PCO's answer
and the local save; a person not in Services is added to Services first; a local leave
ends the assignment in PCO."""
from __future__ import annotations

import pytest

from pco_simulator.generator import generate
from pco_simulator.schema import SERVICES_APP_ID
from pipeline import sync
from push_helpers import client_for, value, writes
from pco_sync import sqlfiles
from pco_sync.push.entities import push

RESOURCES = ("people", "teams")


class Crash(Exception):
    """Stands for the worker dying after PCO wrote, before anything was saved."""


@pytest.fixture
def church(sim, db, db_url):
    generate(sim.store, 200, seed=3)
    sync(sim, db_url, "pull-1", RESOURCES)
    db.commit()
    return sim


def push_assignments(db, sim, run_id, **kw) -> dict:
    return push(db, client_for(sim), "team_assignments", run_id, **kw)


def assignments(store, position_id, person_id) -> list[dict]:
    return [a for a in store.children("person_team_position_assignments", "team_position_id",
                                      position_id) if a["person_id"] == person_id]


def a_new_member(db, store, *, in_services: bool):
    """(team group id, position, person pco id, membership id): a linked person who is not
    on the team, joined to it locally holding one of its PCO positions, as staff would."""
    tid = sorted(store.tables["teams"])[0]
    on_team = {a["person_id"] for a in
               store.children("person_team_position_assignments", "team_id", tid)}
    linked = [p for (p,) in db.execute(
        "SELECT pco_id FROM church.people WHERE pco_id IS NOT NULL ORDER BY pco_id")]
    person = next(p for p in linked
                  if p not in on_team and store.in_services(p) == in_services)
    position = sorted(store.children("team_positions", "team_id", tid),
                      key=lambda p: int(p["id"]))[0]
    group_id = value(db, "SELECT id FROM church.groups WHERE pco_type = 'Team' AND pco_id = %s",
                     tid)
    membership = value(db, """
        INSERT INTO church.group_memberships (group_id, person_id, joined_at, positions)
        SELECT %s, id, current_date, ARRAY[%s] FROM church.people WHERE pco_id = %s
        RETURNING id""", group_id, position["name"], person)
    db.commit()
    return group_id, position, person, membership


def test_a_local_assignment_is_pushed_once_across_reruns_and_pulls(church, db, db_url):
    store = church.store
    _, position, person, membership = a_new_member(db, store, in_services=True)

    counts = push_assignments(db, church, "run-1")
    assert (counts["created"], counts["failed"], counts["requests"]) == (1, 0, 1)
    [made] = assignments(store, position["id"], person)
    assert value(db, "SELECT pco_id FROM church.group_memberships WHERE id = %s",
                 membership) == made["id"]

    again = push_assignments(db, church, "run-2")
    assert (again["created"], again["requests"]) == (0, 0)
    sync(church, db_url, "pull-2", RESOURCES)  # PCO's list now holds it: nothing to send
    db.commit()
    assert push_assignments(db, church, "run-3")["requests"] == 0
    assert len(assignments(store, position["id"], person)) == 1
    assert value(db, "SELECT count(*) FROM church.group_memberships WHERE id = %s "
                     "AND ended_at IS NULL", membership) == 1


def test_a_crash_after_pco_answered_makes_no_second_assignment(church, db):
    store = church.store
    _, position, person, membership = a_new_member(db, store, in_services=True)

    def crash(op, result):
        raise Crash(f"after {op.method} {op.path}")

    with pytest.raises(Crash):
        push_assignments(db, church, "run-1", after_send=crash)
    db.rollback()
    assert len(assignments(store, position["id"], person)) == 1  # PCO has it, we don't know

    before = len(writes(church))
    counts = push_assignments(db, church, "run-2")
    assert (counts["created"], counts["failed"]) == (1, 0)
    assert writes(church)[before:] == []  # found by the lookup, not sent again
    assert len(assignments(store, position["id"], person)) == 1
    assert value(db, "SELECT count(*) FROM sync.push_pending") == 0


def test_a_person_not_in_services_is_added_to_services_first(church, db):
    store = church.store
    _, position, person, _ = a_new_member(db, store, in_services=False)

    counts = push_assignments(db, church, "run-1")
    assert (counts["created"], counts["failed"]) == (1, 0)
    assert store.in_services(person)
    assert len(assignments(store, position["id"], person)) == 1
    sent = [(m, p.split("/")[-1], s) for m, p, s in writes(church)]
    assert sent == [("POST", "person_apps", 201),  # the Services read did not list them
                    ("POST", "person_team_position_assignments", 201)]


def test_after_pco_says_must_exist_the_person_is_added_and_assigned(church, db):
    store = church.store
    _, position, person, _ = a_new_member(db, store, in_services=True)
    [app] = [pa for pa in store.children("person_apps", "person_id", person)
             if pa["app_id"] == SERVICES_APP_ID]
    store.remove_person_app(app["id"])  # left Services since the last read
    assert not store.in_services(person)

    counts = push_assignments(db, church, "run-1")
    assert (counts["created"], counts["failed"]) == (1, 0)
    assert len(assignments(store, position["id"], person)) == 1
    sent = [(m, p.split("/")[-1], s) for m, p, s in writes(church)]
    assert sent == [("POST", "person_team_position_assignments", 422),
                    ("POST", "person_apps", 201),
                    ("POST", "person_team_position_assignments", 201)]


def test_a_local_leave_ends_the_assignment_in_pco(church, db, db_url):
    store = church.store
    tid = sorted(store.tables["teams"])[0]
    person, membership = db.execute("""
        SELECT p.pco_id, m.id FROM church.group_memberships m
          JOIN church.groups g ON g.id = m.group_id
          JOIN church.people p ON p.id = m.person_id
         WHERE g.pco_id = %s AND m.ended_at IS NULL ORDER BY p.pco_id LIMIT 1""",
                                    (tid,)).fetchone()
    held = [a for a in store.children("person_team_position_assignments", "team_id", tid)
            if a["person_id"] == person]
    assert held
    db.execute("UPDATE church.group_memberships SET ended_at = current_date WHERE id = %s",
               (membership,))
    db.commit()

    counts = push_assignments(db, church, "run-1")
    assert (counts["deleted"], counts["failed"]) == (1, 0)
    assert counts["requests"] == len(held)
    assert [a for a in store.children("person_team_position_assignments", "team_id", tid)
            if a["person_id"] == person] == []
    assert value(db, "SELECT pco_id FROM church.group_memberships WHERE id = %s",
                 membership) is None
    assert push_assignments(db, church, "run-2")["requests"] == 0
    sync(church, db_url, "pull-2", RESOURCES)  # the leave stays a leave
    db.commit()
    assert value(db, """SELECT count(*) FROM church.group_memberships m
                         JOIN church.people p ON p.id = m.person_id
                         JOIN church.groups g ON g.id = m.group_id
                        WHERE g.pco_id = %s AND p.pco_id = %s AND m.ended_at IS NULL""",
                 tid, person) == 0


def test_positions_pco_does_not_have_are_skipped_with_the_reason(church, db):
    store = church.store
    _, _, person, membership = a_new_member(db, store, in_services=True)
    db.execute("UPDATE church.group_memberships SET positions = ARRAY['Kazoo'] WHERE id = %s",
               (membership,))
    db.commit()
    counts = push_assignments(db, church, "run-1")
    assert (counts["created"], counts["skipped"], counts["requests"]) == (0, 1, 0)
    assert counts["skipped_reasons"] == {"position not in PCO": 1}


def test_a_refused_assignment_is_a_named_push_failure_for_the_pco_sync_page(church, db):
    store = church.store
    _, position, person, membership = a_new_member(db, store, in_services=True)
    store.delete("team_positions", position["id"])  # gone in PCO since the last read

    counts = push_assignments(db, church, "run-1")
    assert (counts["created"], counts["failed"]) == (0, 1)
    name = value(db, "SELECT concat_ws(' ', p.first_name, p.last_name) || ' in ' || g.name "
                     "FROM church.group_memberships m JOIN church.people p ON p.id = m.person_id "
                     "JOIN church.groups g ON g.id = m.group_id WHERE m.id = %s", membership)
    listed = db.execute(sqlfiles.read("review/push_failures.sql"), {"limit": 10}).fetchall()
    assert [(r[1], r[3], r[5], r[8]) for r in listed] == [("team_assignment", "add", name, 404)]
    again = push_assignments(db, church, "run-2")  # waits for its backoff: nothing sent
    assert (again["waiting_to_retry"], again["requests"]) == (1, 0)

