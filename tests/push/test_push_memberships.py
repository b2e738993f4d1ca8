"""Pushing group memberships and the sync-groups scope, against the simulator and real
PostgreSQL (church.groups / group_memberships as the groups sync's migration makes them)."""
from __future__ import annotations

from push_helpers import DEFAULT, client_for, local_person, pco_people, value, writes, push_memberships, push_people
from pco_sync.push.settings import PushSettings

RUN = "run-1"


def pco_group(sim, name="Youth") -> str:
    return sim.store.insert("groups", {"name": name, "archived_at": None})["id"]


def local_group(db, name, pco_id=None, pco_type=None) -> int:
    return db.execute("INSERT INTO church.groups (name, pco_id, pco_type) VALUES (%s, %s, %s) "
                      "RETURNING id", (name, pco_id, pco_type or (pco_id and "Group"))).fetchone()[0]


def join(db, group_id, person_id, role="member", joined_at="2026-01-04") -> int:
    mid = db.execute("INSERT INTO church.group_memberships (group_id, person_id, role, joined_at) "
                     "VALUES (%s, %s, %s, %s) RETURNING id",
                     (group_id, person_id, role, joined_at)).fetchone()[0]
    db.commit()
    return mid


def pushed_person(db, client, first="Ann") -> tuple[int, str]:
    pid = local_person(db, first, "Lee", email=f"{first.lower()}@example.org")
    push_people(db, client, RUN, DEFAULT)
    return pid, value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid)


def test_join_creates_the_membership_and_a_leave_deletes_it(db, sim):
    client = client_for(sim)
    pid, person = pushed_person(db, client)
    gid = pco_group(sim)
    mid = join(db, local_group(db, "Youth", gid), pid, role="leader")
    counts = push_memberships(db, client, RUN)
    assert (counts["created"], counts["failed"], counts["requests"]) == (1, 0, 1)
    [m] = sim.store.children("memberships", "group_id", gid)
    assert (m["person_id"], m["role"], m["joined_at"][:10]) == (person, "leader", "2026-01-04")
    assert value(db, "SELECT pco_id FROM church.group_memberships WHERE id = %s", mid) == m["id"]
    assert push_memberships(db, client, "run-2")["requests"] == 0

    db.execute("UPDATE church.group_memberships SET ended_at = '2026-02-01' WHERE id = %s", (mid,))
    db.commit()
    counts = push_memberships(db, client, "run-3")
    assert (counts["deleted"], counts["requests"]) == (1, 1)
    assert sim.store.children("memberships", "group_id", gid) == []
    assert value(db, "SELECT pco_id FROM church.group_memberships WHERE id = %s", mid) is None
    assert push_memberships(db, client, "run-4")["requests"] == 0


def test_already_a_member_422_counts_as_done(db, sim):
    client = client_for(sim)
    pid, person = pushed_person(db, client)
    gid = pco_group(sim)
    existing = sim.store.add_group_member(gid, person)  # joined in PCO too
    mid = join(db, local_group(db, "Youth", gid), pid)
    counts = push_memberships(db, client, RUN)
    assert ("POST", f"/groups/v2/groups/{gid}/memberships", 422) in writes(sim)
    assert (counts["created"], counts["failed"]) == (1, 0)
    assert value(db, "SELECT pco_id FROM church.group_memberships WHERE id = %s", mid) == existing["id"]
    assert value(db, "SELECT count(*) FROM sync.push_failures") == 0
    assert push_memberships(db, client, "run-2")["requests"] == 0


def test_leave_of_a_membership_already_gone_in_pco_is_done(db, sim):
    client = client_for(sim)
    pid, person = pushed_person(db, client)
    gid = pco_group(sim)
    mid = join(db, local_group(db, "Youth", gid), pid)
    push_memberships(db, client, RUN)
    sim.store.remove_group_member(gid, person)
    db.execute("UPDATE church.group_memberships SET ended_at = current_date WHERE id = %s", (mid,))
    db.commit()
    counts = push_memberships(db, client, "run-2")
    assert (counts["deleted"], counts["failed"]) == (1, 0)  # PCO answered 404: gone already
    assert value(db, "SELECT pco_id FROM church.group_memberships WHERE id = %s", mid) is None


def test_local_groups_teams_and_people_pco_lacks_are_skipped(db, sim):
    client = client_for(sim)
    pid, _ = pushed_person(db, client)
    no_email = local_person(db, "No", "Email", email=None)
    join(db, local_group(db, "Choir"), pid)
    join(db, local_group(db, "Band", "3000001", "Team"), pid)
    join(db, local_group(db, "Youth", pco_group(sim)), no_email)
    counts = push_memberships(db, client, RUN)
    assert counts["skipped_reasons"] == {"group not in PCO": 1, "a Services team": 1,
                                         "person not in PCO": 1}
    assert counts["requests"] == 0 and writes(sim).count(("POST", "/people/v2/people", 201)) == 1


def test_refused_join_is_recorded_and_the_run_goes_on(db, sim):
    client = client_for(sim)
    pid, _ = pushed_person(db, client)
    bob, _ = pushed_person(db, client, "Bob")
    join(db, local_group(db, "Gone", "1999999"), pid)  # PCO has no such group: 404
    ok = join(db, local_group(db, "Youth", pco_group(sim)), bob)
    counts = push_memberships(db, client, RUN)
    assert (counts["created"], counts["failed"]) == (1, 1)
    assert value(db, "SELECT status FROM sync.push_failures WHERE entity = 'group_membership'") == 404
    assert value(db, "SELECT pco_id IS NOT NULL FROM church.group_memberships WHERE id = %s", ok)


def test_sync_groups_scope_pushes_only_their_members(db, sim):
    members = local_group(db, "Members")
    ann = local_person(db, "Ann", "Lee", email="ann@example.org")
    bob = local_person(db, "Bob", "Lee", email="bob@example.org")
    join(db, members, ann)
    settings = PushSettings.parse({"scope": "sync_groups", "sync_groups": '["Members"]'})
    counts = push_people(db, client_for(sim), RUN, settings)
    assert (counts["created"], counts["skipped"]) == (1, 1)
    assert counts["skipped_reasons"] == {"not in a sync group": 1}
    assert len(pco_people(sim, ann)) == 1 and pco_people(sim, bob) == []
    by_id = PushSettings.parse({"scope": "sync_groups", "sync_groups": [str(members)]})
    assert push_people(db, client_for(sim), "run-2", by_id)["created"] == 0  # Bob: still out
