"""Services teams, from the simulator over HTTP into real PostgreSQL: teams become groups in
their service types' departments under "PCO Services Teams" with their positions, members
come from person-team-position assignments, and a team PCO deleted (lingering with
deleted_at, or gone) ends its memberships and is marked, never failing the run."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from pipeline import sync
from pco_simulator.generator import generate

RESOURCES = ("people", "teams")


@pytest.fixture
def church(sim):
    generate(sim.store, 200, seed=3)  # 3 teams
    return sim


def team_members(db, team_pco_id, *, current=True) -> dict[str, list[str]]:
    """{person pco id: positions} of a team's current (or ended) memberships."""
    return dict(db.execute(
        "SELECT p.pco_id, m.positions FROM church.group_memberships m "
        "JOIN church.groups g ON g.id = m.group_id JOIN church.people p ON p.id = m.person_id "
        "WHERE g.pco_type = 'Team' AND g.pco_id = %s AND (m.ended_at IS NULL) = %s",
        (team_pco_id, current)).fetchall())


def pco_team(store, tid, linked: set[str]) -> dict[str, list[str]]:
    positions = {p["id"]: p["name"] for p in store.children("team_positions", "team_id", tid)}
    held: dict[str, set[str]] = {}
    for a in store.children("person_team_position_assignments", "team_id", tid):
        if a["person_id"] in linked:
            held.setdefault(a["person_id"], set()).add(positions[a["team_position_id"]])
    return {p: sorted(names) for p, names in held.items()}


def linked_people(db) -> set[str]:
    return {p for (p,) in db.execute("SELECT pco_id FROM church.people WHERE pco_id IS NOT NULL")}


def test_teams_become_groups_with_positions_and_members_then_nothing_changes(church, db, db_url):
    out = sync(church, db_url, "r1", RESOURCES)
    store = church.store
    assert out["teams"]["created"] == 3
    rows = db.execute(
        "SELECT g.pco_id, g.name, d.pco_service_type_id, g.pco_service_type_id "
        "FROM church.groups g JOIN church.departments d ON d.id = g.department_id "
        "WHERE g.pco_type = 'Team'").fetchall()
    assert {(r[0], r[1]) for r in rows} == {(t["id"], t["name"])
                                           for t in store.tables["teams"].values()}
    # each in its service type's department (tests/merge/test_services_structure.py: the
    # folders above it, up to "PCO Services Teams")
    assert {(r[0], r[2], r[3]) for r in rows} == {
        (t["id"], t["service_type_id"], t["service_type_id"])
        for t in store.tables["teams"].values()}
    positions = {p for (p,) in db.execute("SELECT pco_id FROM church.group_positions")}
    assert positions == set(store.tables["team_positions"])
    here = linked_people(db)
    for tid in store.tables["teams"]:
        assert team_members(db, tid) == pco_team(store, tid, here) != {}
    assert {r for (r,) in db.execute("SELECT DISTINCT role FROM church.group_memberships")} == \
        {"member"}

    again = sync(church, db_url, "r2", RESOURCES)
    assert (again["teams"]["unchanged"], again["teams"]["updated"]) == (3, 0)
    m = again["team_memberships"]
    assert (m["created"], m["updated"], m["ended"]) == (0, 0, 0)
    assert m["unchanged"] == out["team_memberships"]["created"]


def test_assignment_changes_are_joins_leaves_and_position_updates(church, db, db_url):
    sync(church, db_url, "r1", RESOURCES)
    store = church.store
    tid = sorted(store.tables["teams"])[0]
    here = linked_people(db)
    held = pco_team(store, tid, here)
    leaver = next(p for p, names in held.items() if len(names) == 1)
    for a in store.children("person_team_position_assignments", "team_id", tid):
        if a["person_id"] == leaver:
            store.delete("person_team_position_assignments", a["id"])
    stayer = next(p for p in held if p != leaver)
    free = next(p for p in store.children("team_positions", "team_id", tid)
                if p["name"] not in held[stayer])
    store.insert("person_team_position_assignments", {
        "person_id": stayer, "team_position_id": free["id"], "team_id": tid})

    out = sync(church, db_url, "r2", RESOURCES)["team_memberships"]
    assert (out["created"], out["updated"], out["ended"]) == (0, 1, 1)
    assert leaver not in team_members(db, tid)
    assert leaver in team_members(db, tid, current=False)
    assert team_members(db, tid)[stayer] == sorted(held[stayer] + [free["name"]])


def test_a_deleted_team_ends_its_memberships_is_marked_and_never_fails_the_run(church, db,
                                                                                db_url):
    sync(church, db_url, "r1", RESOURCES)
    store = church.store
    tid = max(store.tables["teams"], key=lambda t: len(
        store.children("person_team_position_assignments", "team_id", t)))
    crew = team_members(db, tid)
    store.delete_team(tid)  # as in Services' UI: it lingers, listed, with deleted_at
    assert store.get("teams", tid)["deleted_at"]

    out = sync(church, db_url, "r2", RESOURCES)  # no gate stops it, however many end
    assert len(crew) > 0.2 * sum(len(team_members(db, t)) + len(team_members(db, t, current=False))
                                 for t in store.tables["teams"])
    assert out["teams"]["removed"] == 1
    assert out["team_memberships"]["ended"] == len(crew)
    assert team_members(db, tid) == {} and set(team_members(db, tid, current=False)) == set(crew)
    marked = db.execute("SELECT deleted_in_pco_at FROM church.groups WHERE pco_type = 'Team' "
                        "AND pco_id = %s", (tid,)).fetchone()[0]
    assert marked is not None
    # its assignments are not read any more: one list request saved per run
    assert db.execute("SELECT count(*) FROM pco_staging.fetches WHERE run_id = 'r2' "
                      "AND parent_pco_id = %s", (tid,)).fetchone()[0] == 0
    assert db.execute("SELECT entity, reason FROM sync.removed_in_pco WHERE resolved_at IS NULL"
                      ).fetchall() == [("team", "deleted in PCO (deleted_at set)")]

    # 30 days on, PCO purges it: the GET 404s; nothing more to do, nothing fails
    store.clock_offset += timedelta(days=31)
    out = sync(church, db_url, "r3", RESOURCES)
    assert out["teams"]["removed"] == 0 and out["team_memberships"]["ended"] == 0
    assert db.execute("SELECT count(*) FROM church.groups WHERE pco_id = %s", (tid,)
                      ).fetchone()[0] == 1


def test_a_team_gone_without_a_trace_is_marked_when_a_get_confirms_it(church, db, db_url):
    sync(church, db_url, "r1", RESOURCES)
    store = church.store
    tid = sorted(store.tables["teams"])[-1]
    crew = team_members(db, tid)
    church.config.quirks.deleted_teams_linger = False
    store.delete_team(tid)
    out = sync(church, db_url, "r2", RESOURCES)
    assert out["extracted"]["teams"]["teams"]["gone"] == 1
    assert out["teams"]["removed"] == 1 and out["team_memberships"]["ended"] == len(crew)
    assert db.execute("SELECT ended_at FROM church.group_memberships m JOIN church.groups g "
                      "ON g.id = m.group_id WHERE g.pco_id = %s LIMIT 1", (tid,)
                      ).fetchone()[0] == date.today()
