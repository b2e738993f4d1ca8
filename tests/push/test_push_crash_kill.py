"""Exactly once across a real kill (issue 22): the pushes run in a process of their own
(tests/crash_push.py) that is SIGKILLed after PCO answered one write and before the push
saved it, at each step of a person's create (the person, then each contact), of a
household's and of a household and a group membership. Then two ordinary runs whose pulls
read the new PCO records before their pushes. Each ends with exactly one local and one PCO
record per person, contact, household and membership, all linked, and no push failure."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import sync
from push_helpers import (DEFAULT, client_for, local_person, push_families, push_memberships,
                          push_people, value)

ROOT = Path(__file__).resolve().parents[2]
HOME = {"street_line_1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701",
        "country_code": "US", "location": "Home", "is_primary": True}
# (entity, operation, nth write of that kind): where the push is killed.
KILL_POINTS = [
    ("person", "create", 1), ("person", "create", 3), ("email", "create", 2),
    ("phone_number", "create", 1), ("address", "create", 1), ("family", "create", 1),
    ("family_member", "add", 1), ("group_membership", "add", 2),
]


def killed_push(sim, db_url: str, run_id: str, at: tuple[str, str], nth: int) -> None:
    """The pushes of `run_id` in a child process, SIGKILLed after PCO's nth answer to `at`."""
    args = {"url": sim.url, "auth": list(sim.auth), "db_url": db_url, "run_id": run_id,
            "at": list(at), "nth": nth}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), str(ROOT / "plugins"), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "crash_push.py"), json.dumps(args)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, (
        f"the push was not killed at {at} #{nth} (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def church(db, sim) -> dict:
    """Three people (Ann with a phone and an address), the Lee family (Ann, Bob; Cy joins once
    the household exists) and the Youth group in PCO that Ann, Bob and Cy joined here."""
    ann = local_person(db, "Ann", "Lee", email="ann@example.org",
                       phones=[("555-0100", "Mobile")], addresses=[HOME])
    bob = local_person(db, "Bob", "Lee", email="bob@example.org")
    cy = local_person(db, "Cy", "Kim", email="cy@example.org")
    fid = db.execute("INSERT INTO church.families (name, primary_contact_id) VALUES "
                     "('Lee Family', %s) RETURNING id", (ann,)).fetchone()[0]
    db.execute("INSERT INTO church.family_members VALUES (%s, %s), (%s, %s)", (fid, ann, fid, bob))
    gid = sim.store.insert("groups", {"name": "Youth", "archived_at": None})["id"]
    group = db.execute("INSERT INTO church.groups (name, pco_id, pco_type) VALUES "
                       "('Youth', %s, 'Group') RETURNING id", (gid,)).fetchone()[0]
    for pid in (ann, bob, cy):
        db.execute("INSERT INTO church.group_memberships (group_id, person_id, joined_at) "
                   "VALUES (%s, %s, '2026-01-04')", (group, pid))
    db.commit()
    return {"people": (ann, bob, cy), "family": fid, "cy": cy, "group": gid}


def ordinary_run(sim, db, db_url: str, run_id: str) -> None:
    """A sync run: the pull (people, households, groups, read whole) before the pushes."""
    sync(sim, db_url, run_id, resources=("people", "households", "groups"))
    db.commit()
    client = client_for(sim)
    push_people(db, client, run_id, DEFAULT)
    push_families(db, client, run_id)
    push_memberships(db, client, run_id)


def assert_exactly_once(db, sim, c: dict) -> None:
    people = db.execute("SELECT id, pco_id FROM church.people ORDER BY id").fetchall()
    assert [pid for pid, _ in people] == sorted(c["people"]), "a local person was duplicated"
    pco = sim.store.tables["people"]
    assert len(pco) == 3, "a PCO person was duplicated"
    for pid, pco_id in people:
        assert pco_id is not None and str(pco[pco_id]["remote_id"]) == str(pid)
    for kind, table in (("email", "emails"), ("phone_number", "phone_numbers"),
                        ("address", "addresses")):
        local = db.execute(f"SELECT p.pco_id, c.pco_id FROM church.{table} c "
                           f"JOIN church.people p ON p.id = c.person_id").fetchall()
        remote = [(r["person_id"], r["id"]) for r in sim.store.tables[table].values()]
        assert sorted(local) == sorted(remote), f"{table}: here {local}, in PCO {remote}"
    [(hid,)] = db.execute("SELECT pco_id FROM church.families").fetchall()
    assert hid is not None and list(sim.store.tables["households"]) == [hid]
    members = {r["person_id"] for r in sim.store.children("household_memberships",
                                                          "household_id", hid)}
    assert members == {pco_id for pid, pco_id in people if pid != c["people"][2]} | (
        {dict(people)[c["cy"]]} if c.get("cy_in_family") else set())
    local = db.execute("SELECT p.pco_id, m.pco_id FROM church.group_memberships m "
                       "JOIN church.people p ON p.id = m.person_id").fetchall()
    remote = [(m["person_id"], m["id"])
              for m in sim.store.children("memberships", "group_id", c["group"])]
    assert all(m for _, m in local) and sorted(local) == sorted(remote)
    assert value(db, "SELECT count(*) FROM sync.push_failures") == 0
    assert value(db, "SELECT count(*) FROM sync.push_pending") == 0
    assert value(db, "SELECT count(*) FROM sync.match_review") == 0


@pytest.mark.parametrize("entity, operation, nth", KILL_POINTS,
                         ids=[f"{e}-{o}-{n}" for e, o, n in KILL_POINTS])
def test_killed_push_then_pull_first_ends_exactly_once(db, db_url, sim, entity, operation, nth):
    c = church(db, sim)
    if entity == "family_member":  # a member who joins once the household exists
        client = client_for(sim)
        for push in (push_people, push_families, push_memberships):
            push(db, client, "run-0", *((DEFAULT,) if push is push_people else ()))
        db.execute("INSERT INTO church.family_members VALUES (%s, %s)", (c["family"], c["cy"]))
        db.commit()
        c["cy_in_family"] = True
    killed_push(sim, db_url, "run-1", (entity, operation), nth)
    db.rollback()
    ordinary_run(sim, db, db_url, "run-2")
    ordinary_run(sim, db, db_url, "run-3")
    assert_exactly_once(db, sim, c)
