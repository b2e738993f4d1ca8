"""Groups and their memberships, from the simulator over HTTP into real PostgreSQL: the
departments, joins and leaves from snapshot diffs (history kept), groups read badly left
alone, the mass-leave gate, memberships waiting for their person, archived and deleted
groups, and what is left to the push."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

import pytest

from pipeline import client_for, sync
from pco_simulator.generator import generate
from pco_sync.errors import QualityGateError
from pco_sync.extract.run import extract_resource

TODAY = date.today()


@pytest.fixture
def church(sim):
    """200 people, 5 groups (one archived), 3 teams, 4 events (seed 3)."""
    generate(sim.store, 200, seed=3)
    return sim


def members(db, group_pco_id, *, current=True) -> dict[str, tuple]:
    """{person pco id: (role, joined_at, pco_id)} of a group's current (or ended) rows."""
    rows = db.execute(
        "SELECT p.pco_id, m.role, m.joined_at, m.pco_id FROM church.group_memberships m "
        "JOIN church.groups g ON g.id = m.group_id JOIN church.people p ON p.id = m.person_id "
        "WHERE g.pco_type = 'Group' AND g.pco_id = %s AND (m.ended_at IS NULL) = %s",
        (group_pco_id, current)).fetchall()
    return {r[0]: r[1:] for r in rows}


def pco_members(store, gid) -> dict[str, dict]:
    return {m["person_id"]: m for m in store.children("memberships", "group_id", gid)}


def linked_people(db) -> set[str]:
    return {p for (p,) in db.execute("SELECT pco_id FROM church.people WHERE pco_id IS NOT NULL")}


def tables(db):
    return [db.execute(f"SELECT xmin::text, * FROM church.{t} ORDER BY id").fetchall()
            for t in ("departments", "groups", "group_memberships")]


def biggest_group(store, *, live=True) -> str:
    groups = [g for g in store.tables["groups"].values() if not (live and g["archived_at"])]
    return max(groups, key=lambda g: g["memberships_count"])["id"]


def test_first_sync_builds_departments_groups_and_memberships_then_changes_nothing(church, db,
                                                                                  db_url):
    out = sync(church, db_url, "r1")
    store = church.store
    assert out["groups"]["created"] == 5
    depts = dict(db.execute(
        "SELECT d.name, p.name FROM church.departments d "
        "LEFT JOIN church.departments p ON p.id = d.parent_id").fetchall())
    assert depts.pop("PCO Groups") is None
    used = {store.get("group_types", g["group_type_id"])["name"]
            for g in store.tables["groups"].values()}
    assert depts == {name: "PCO Groups" for name in used}
    for g in store.tables["groups"].values():
        name, dept, archived = db.execute(
            "SELECT g.name, d.name, g.archived_at FROM church.groups g "
            "JOIN church.departments d ON d.id = g.department_id "
            "WHERE g.pco_type = 'Group' AND g.pco_id = %s", (g["id"],)).fetchone()
        assert (name, dept) == (g["name"], store.get("group_types", g["group_type_id"])["name"])
        # the archived group is there, marked with PCO's time
        assert archived == (datetime.fromisoformat(g["archived_at"].replace("Z", "+00:00"))
                            if g["archived_at"] else None)
        here = linked_people(db)
        want = {pid: (m["role"], datetime.fromisoformat(m["joined_at"].replace(
            "Z", "+00:00")).date(), m["id"]) for pid, m in pco_members(store, g["id"]).items()
            if pid in here}
        assert members(db, g["id"]) == want and want
    assert {r for (r,) in db.execute("SELECT DISTINCT role FROM church.group_memberships")} == \
        {"leader", "member"}
    created = out["group_memberships"]["created"]
    assert created == db.execute("SELECT count(*) FROM church.group_memberships").fetchone()[0]

    before = tables(db)
    again = sync(church, db_url, "r2")
    assert again["groups"] | {"quarantined": 0} == {
        "created": 0, "updated": 0, "unchanged": 5, "quarantined": 0, "needs_review": 0,
        "conflicts": 0, "removed": 0}
    m = again["group_memberships"]
    assert (m["created"], m["updated"], m["ended"], m["unchanged"]) == (0, 0, 0, created)
    assert tables(db) == before


def test_joins_and_leaves_come_from_the_snapshot_diff_and_a_leave_keeps_history(church, db,
                                                                                db_url):
    sync(church, db_url, "r1")
    store = church.store
    gid = biggest_group(store)
    here = linked_people(db)
    current = [p for p in pco_members(store, gid) if p in here]
    leaver, promoted = current[0], current[1]
    joiner = next(p for p in sorted(here) if p not in pco_members(store, gid))
    store.remove_group_member(gid, leaver)
    store.add_group_member(gid, joiner, "leader", "2026-10-01T00:00:00Z")
    store.update("memberships", pco_members(store, gid)[promoted]["id"], {"role": "leader"})

    out = sync(church, db_url, "r2")["group_memberships"]
    assert (out["created"], out["updated"], out["ended"]) == (1, 1, 1)
    now = members(db, gid)
    assert leaver not in now
    ended = db.execute(
        "SELECT m.ended_at, m.pco_id FROM church.group_memberships m "
        "JOIN church.people p ON p.id = m.person_id WHERE p.pco_id = %s AND m.ended_at IS NOT NULL",
        (leaver,)).fetchall()
    assert ended == [(TODAY, None)]  # ended, not deleted; no PCO membership behind it now
    assert now[joiner] == ("leader", date(2026, 10, 1), pco_members(store, gid)[joiner]["id"])
    assert now[promoted][0] == "leader"

    # rejoining in PCO is a new membership beside the old one
    store.add_group_member(gid, leaver)
    assert sync(church, db_url, "r3")["group_memberships"]["created"] == 1
    rows = db.execute(
        "SELECT count(*), count(*) FILTER (WHERE m.ended_at IS NULL) FROM church.group_memberships m "
        "JOIN church.people p ON p.id = m.person_id JOIN church.groups g ON g.id = m.group_id "
        "WHERE p.pco_id = %s AND g.pco_id = %s", (leaver, gid)).fetchone()
    assert rows == (2, 1)


def test_a_group_whose_membership_read_failed_is_not_touched(church, db, db_url):
    sync(church, db_url, "r1")
    store = church.store
    here = linked_people(db)
    broken, other = sorted((g for g in store.tables["groups"]),
                           key=lambda g: -store.get("groups", g)["memberships_count"])[:2]
    gone_broken = next(p for p in pco_members(store, broken) if p in here)
    gone_other = next(p for p in pco_members(store, other) if p in here)
    store.remove_group_member(broken, gone_broken)
    store.remove_group_member(other, gone_other)
    church.sim.faults.add({"kind": "error", "status": 503,
                           "path": f"/groups/v2/groups/{broken}/memberships"})

    out = sync(church, db_url, "r2")
    assert out["group_memberships"]["not_read"] == 1
    assert out["extracted"]["groups"]["group_memberships"]["parents"] == {"ok": 4, "failed": 1}
    assert db.execute("SELECT status FROM pco_staging.fetches WHERE run_id = 'r2' "
                      "AND parent_pco_id = %s", (broken,)).fetchone() == ("failed",)
    assert gone_broken in members(db, broken)  # nobody's membership ended on a failed read
    assert gone_other not in members(db, other)  # the groups read fine still changed
    assert out["group_memberships"]["ended"] == 1


def test_a_suspiciously_empty_read_ends_nobody_until_a_second_read_agrees(church, db, db_url):
    sync(church, db_url, "r1")
    store = church.store
    stale, emptied = [g["id"] for g in sorted(
        (g for g in store.tables["groups"].values() if not g["archived_at"]),
        key=lambda g: g["memberships_count"])][:2]
    before = {g: members(db, g) for g in (stale, emptied)}
    assert all(before.values())
    # PCO answers an empty list while its own count says there are members
    for m in store.children("memberships", "group_id", stale):
        store.delete("memberships", m["id"])
    # everyone really leaves the other group (PCO's count agrees)
    for person in list(pco_members(store, emptied)):
        store.remove_group_member(emptied, person)

    out = sync(church, db_url, "r2")
    fetches = dict(db.execute("SELECT parent_pco_id, status FROM pco_staging.fetches "
                              "WHERE run_id = 'r2'").fetchall())
    assert (fetches[stale], fetches[emptied]) == ("empty", "empty")
    assert out["group_memberships"]["not_read"] == 2 and out["group_memberships"]["ended"] == 0
    assert {g: members(db, g) for g in before} == before

    # the next read agrees with the empty one before it: believed, unless PCO's own count
    # still contradicts it
    out = sync(church, db_url, "r3")
    assert out["group_memberships"]["ended"] == len(before[emptied])
    assert members(db, emptied) == {} and members(db, stale) == before[stale]


def test_too_many_leaves_at_once_stop_the_merge_unless_accepted(church, db, db_url):
    sync(church, db_url, "r1")
    store = church.store
    gid = biggest_group(store)
    here = linked_people(db)
    leaving = [p for p in pco_members(store, gid) if p in here][:-2]  # not all: not 'empty'
    for p in leaving:
        store.remove_group_member(gid, p)
    total = db.execute("SELECT count(*) FROM church.group_memberships").fetchone()[0]
    assert len(leaving) >= 10 and len(leaving) > 0.2 * total

    with pytest.raises(QualityGateError, match=f"would end {len(leaving)} of {total}"):
        sync(church, db_url, "r2")
    assert set(leaving) <= set(members(db, gid))  # nothing merged

    out = sync(church, db_url, "r3", accept_mass_leaves=True)
    assert out["group_memberships"]["ended"] == len(leaving)
    assert not set(leaving) & set(members(db, gid))


def test_memberships_of_people_not_synced_yet_wait_for_a_later_run(church, db, db_url):
    sync(church, db_url, "r1")
    store = church.store
    gid = biggest_group(store)
    waiting_before = db.execute("SELECT count(*) FROM pco_staging.waiting_memberships"
                                ).fetchone()[0]
    newcomer = store.insert("people", {"first_name": "Nia", "last_name": "New",
                                       "status": "active", "child": False})["id"]
    store.add_group_member(gid, newcomer)

    # groups read before the person: the membership waits (no failure, nothing lost)
    out = sync(church, db_url, "r2", resources=("groups",))
    assert out["group_memberships"]["waiting"] == waiting_before + 1
    assert out["group_memberships"]["created"] == 0
    assert db.execute("SELECT group_pco_id, role FROM pco_staging.waiting_memberships "
                      "WHERE person_pco_id = %s", (newcomer,)).fetchone() == (gid, "member")

    # a later run brings the person (groups not read again): the membership joins
    out = sync(church, db_url, "r3", resources=("people",))
    assert out["people"]["created"] == 1
    assert out["group_memberships"]["created"] == 1
    assert out["group_memberships"]["waiting"] == waiting_before
    assert members(db, gid)[newcomer][0] == "member"
    again = sync(church, db_url, "r4", resources=("people", "groups"))
    assert again["group_memberships"]["created"] == 0


def test_archived_group_is_kept_and_marked_and_a_deleted_one_ends_its_memberships(church, db,
                                                                                  db_url):
    sync(church, db_url, "r1")
    store = church.store
    live = sorted(g["id"] for g in store.tables["groups"].values() if not g["archived_at"])
    archived, deleted = live[0], live[1]
    kept = members(db, archived)
    store.update("groups", archived, {"archived_at": "2026-10-31T12:00:00Z"}, bump=False)
    doomed = members(db, deleted)
    for m in store.children("memberships", "group_id", deleted):
        store.delete("memberships", m["id"])
    store.delete("groups", deleted)  # as staff in PCO's UI; lists and GETs no longer have it

    out = sync(church, db_url, "r2")
    assert out["extracted"]["groups"]["groups"]["gone"] == 1
    assert out["groups"]["removed"] == 1 and out["groups"]["updated"] == 1
    assert db.execute("SELECT archived_at FROM church.groups WHERE pco_id = %s",
                      (archived,)).fetchone()[0] == datetime(2026, 10, 31, 12, tzinfo=timezone.utc)
    assert members(db, archived) == kept  # archived: kept, members and all
    marked = db.execute("SELECT deleted_in_pco_at IS NOT NULL, name FROM church.groups "
                        "WHERE pco_id = %s", (deleted,)).fetchone()
    assert marked[0] and marked[1]
    assert members(db, deleted) == {} and set(members(db, deleted, current=False)) == set(doomed)
    assert out["group_memberships"]["ended"] == len(doomed)
    assert db.execute("SELECT entity, pco_id FROM sync.removed_in_pco WHERE resolved_at IS NULL"
                      ).fetchall() == [("group", deleted)]

    again = sync(church, db_url, "r3")
    assert again["groups"]["removed"] == 0 and again["group_memberships"]["ended"] == 0


def test_local_joins_and_leaves_are_left_for_the_push(church, db, db_url):
    sync(church, db_url, "r1")
    store = church.store
    gid = biggest_group(store)
    here = linked_people(db)
    outsider = next(p for p in sorted(here) if p not in pco_members(store, gid))
    quitter = next(p for p in pco_members(store, gid) if p in here)
    db.execute("INSERT INTO church.group_memberships (group_id, person_id, role, joined_at) "
               "SELECT g.id, p.id, 'member', current_date FROM church.groups g, church.people p "
               "WHERE g.pco_id = %s AND g.pco_type = 'Group' AND p.pco_id = %s", (gid, outsider))
    db.execute("UPDATE church.group_memberships m SET ended_at = current_date FROM church.people p "
               "WHERE p.id = m.person_id AND p.pco_id = %s AND m.ended_at IS NULL", (quitter,))
    db.commit()

    out = sync(church, db_url, "r2")["group_memberships"]
    assert (out["created"], out["ended"]) == (0, 0)
    assert members(db, gid)[outsider][2] is None  # the local join waits for the push
    assert quitter not in members(db, gid)  # the local leave is not undone
    assert members(db, gid, current=False)[quitter][2] is not None  # push deletes that one

    # the same person joins in PCO too: the local row is linked, not doubled
    store.add_group_member(gid, outsider)
    out = sync(church, db_url, "r3")["group_memberships"]
    assert (out["created"], out["updated"]) == (0, 1)
    assert members(db, gid)[outsider][2] == pco_members(store, gid)[outsider]["id"]


def test_a_quarantined_membership_is_not_read_as_a_leave(church, db, db_url):
    sync(church, db_url, "r1")
    store = church.store
    gid = biggest_group(store)
    person = next(p for p in pco_members(store, gid) if p in linked_people(db))
    role = members(db, gid)[person][0]
    store.update("memberships", pco_members(store, gid)[person]["id"], {"role": "owner"})
    out = sync(church, db_url, "r2")
    assert out["group_memberships"]["quarantined"] == 1
    assert out["group_memberships"]["ended"] == 0
    assert members(db, gid)[person][0] == role


def test_department_follows_a_group_type_change_but_keeps_a_local_move(church, db, db_url):
    sync(church, db_url, "r1")
    store = church.store
    gids = sorted(store.tables["groups"])
    types = sorted(store.tables["group_types"])
    moved_in_pco, moved_here = gids[0], gids[1]
    new_type = next(t for t in types if t != store.get("groups", moved_in_pco)["group_type_id"])
    store.update("groups", moved_in_pco, {"group_type_id": new_type}, bump=False)
    local = db.execute("INSERT INTO church.departments (name) VALUES ('Care') RETURNING id"
                       ).fetchone()[0]
    db.execute("UPDATE church.groups SET department_id = %s WHERE pco_id = %s", (local, moved_here))
    db.commit()
    sync(church, db_url, "r2")
    dept = lambda gid: db.execute(  # noqa: E731
        "SELECT d.name FROM church.groups g JOIN church.departments d ON d.id = g.department_id "
        "WHERE g.pco_id = %s AND g.pco_type = 'Group'", (gid,)).fetchone()[0]
    assert dept(moved_in_pco) == store.get("group_types", new_type)["name"]
    assert dept(moved_here) == "Care"


def test_groups_snapshot_takes_the_minimum_requests_and_lists_archived_groups(seeded_sim, db):
    store = seeded_sim.store
    client = client_for(seeded_sim)
    result = extract_resource(client, db, "groups", "run-g")
    groups = store.tables["groups"]
    assert any(g["archived_at"] for g in groups.values())
    minimum = math.ceil(len(groups) / 100) + sum(
        max(1, math.ceil(g["memberships_count"] / 100)) for g in groups.values())
    assert result["groups"]["records"] == len(groups)
    assert result["groups"]["requests"] + result["group_memberships"]["requests"] == minimum
    assert result["group_memberships"]["records"] == len(store.tables["memberships"])
    assert client.stats.requests == minimum
