"""Services folders and service types, from the simulator over HTTP into real PostgreSQL:
each becomes a department under "PCO Services Teams", nested as PCO nests them, and each
team's group sits in its service type's department. Renames and moves in PCO follow; a
department or team staff moved by hand stays until PCO changes that thing; two PCO things
wanting one name under one parent never fail the run; a deleted service type keeps its
department; every live team carries its service type (the push of team assignments builds
its URLs from it)."""
from __future__ import annotations

import pytest

from pipeline import sync
from pco_simulator.generator import generate
from pco_sync.retention.clean import Retention, clean

RESOURCES = ("people", "teams")
ROOT = "PCO Services Teams"


@pytest.fixture
def church(sim):
    generate(sim.store, 200, seed=3)  # 3 teams in 3 service types, 3 folders (one nested)
    return sim


def team_row(db, tid) -> tuple:
    """(department id, pco_service_type_id) of a team's group."""
    return db.execute("SELECT department_id, pco_service_type_id FROM church.groups "
                      "WHERE pco_type = 'Team' AND pco_id = %s", (tid,)).fetchone()


def chain(db, department_id) -> list[tuple]:
    """(name, pco_folder_id, pco_service_type_id) from a department up to the top."""
    return db.execute(
        "WITH RECURSIVE up AS ("
        " SELECT id, parent_id, name, pco_folder_id, pco_service_type_id, 0 AS depth"
        "   FROM church.departments WHERE id = %s"
        " UNION ALL"
        " SELECT d.id, d.parent_id, d.name, d.pco_folder_id, d.pco_service_type_id, up.depth + 1"
        "   FROM church.departments d JOIN up ON d.id = up.parent_id)"
        " SELECT name, pco_folder_id, pco_service_type_id FROM up ORDER BY depth",
        (department_id,)).fetchall()


def pco_chain(store, service_type_id) -> list[tuple]:
    """What chain() should say for a team in `service_type_id`, from PCO's records."""
    st = store.get("service_types", service_type_id)
    out = [(st["name"], None, st["id"])]
    folder = st["parent_id"]
    while folder:
        f = store.get("folders", folder)
        out.append((f["name"], f["id"], None))
        folder = f["parent_id"]
    return out + [(ROOT, None, None)]


def department_of(db, *, folder=None, service_type=None) -> int:
    return db.execute("SELECT id FROM church.departments WHERE pco_folder_id = %s "
                      "OR pco_service_type_id = %s", (folder, service_type)).fetchone()[0]


def assert_teams_in_place(db, store):
    for t in store.tables["teams"].values():
        if t.get("deleted_at"):
            continue
        department, service_type = team_row(db, t["id"])
        assert service_type == t["service_type_id"], t["id"]
        assert chain(db, department) == pco_chain(store, t["service_type_id"]), t["id"]


def tables(db):
    return [db.execute(f"SELECT xmin::text, * FROM church.{t} ORDER BY id").fetchall()
            for t in ("departments", "groups")]


def test_folders_and_service_types_become_departments_teams_sit_inside_rerun_changes_nothing(
        church, db, db_url):
    store = church.store
    assert any(f["parent_id"] for f in store.tables["folders"].values())  # folders nest
    out = sync(church, db_url, "r1", RESOURCES)
    live = [st for st in store.tables["service_types"].values() if not st["deleted_at"]]
    assert out["services_departments"]["created"] == len(store.tables["folders"]) + len(live)
    assert out["teams"]["created"] == len(store.tables["teams"])
    assert_teams_in_place(db, store)
    # a team PCO lists in two service types sits under its primary one, and carries its id
    shared = [t for t in store.tables["teams"].values() if len(t["service_type_ids"]) > 1]
    assert shared and all(team_row(db, t["id"])[1] == t["service_type_id"] for t in shared)
    # every folder has its department, nested as in PCO, even one without service types
    for f in store.tables["folders"].values():
        assert chain(db, department_of(db, folder=f["id"]))[0] == (f["name"], f["id"], None)

    before = tables(db)
    again = sync(church, db_url, "r2", RESOURCES)
    assert (again["services_departments"]["created"], again["services_departments"]["updated"],
            again["services_departments"]["unchanged"]) == (0, 0, len(store.tables["folders"])
                                                             + len(live))
    assert (again["teams"]["updated"], again["teams"]["unchanged"]) == \
        (0, len(store.tables["teams"]))
    assert tables(db) == before
    # the clean-up keeps one copy of each folder and service type, the latest
    db.commit()
    clean(db, "r2", Retention(keep_runs=1))
    for table, pco in (("folders", "folders"), ("service_types", "service_types")):
        assert sorted(db.execute(f"SELECT pco_id, run_id FROM pco_staging.{table}")) == \
            sorted((i, "r2") for i in store.tables[pco])


def test_renames_and_moves_in_pco_follow(church, db, db_url):
    sync(church, db_url, "r1", RESOURCES)
    store = church.store
    nested = next(f for f in store.tables["folders"].values() if f["parent_id"])
    store.update("folders", nested["id"], {"name": "Main Campus (renamed)"})
    team = sorted(store.tables["teams"].values(), key=lambda t: int(t["id"]))[0]
    store.update("service_types", team["service_type_id"], {"name": "Renamed Service"})
    store.update("teams", team["id"], {"name": "Renamed Team"})
    # a service type moves to another folder (the one that was empty), a team to another
    # service type
    empty = next(f for f in store.tables["folders"].values()
                 if not store.children("service_types", "parent_id", f["id"])
                 and not store.children("folders", "parent_id", f["id"]))
    moving_type = next(st for st in store.tables["service_types"].values()
                       if st["id"] != team["service_type_id"])
    store.update("service_types", moving_type["id"], {"parent_id": empty["id"]})
    mover = next(t for t in store.tables["teams"].values()
                 if t["service_type_id"] != moving_type["id"] and t["id"] != team["id"])
    store.update("teams", mover["id"], {"service_type_id": moving_type["id"],
                                        "service_type_ids": [moving_type["id"]]})

    out = sync(church, db_url, "r2", RESOURCES)
    assert out["services_departments"]["updated"] == 3  # folder, renamed type, moved type
    assert out["teams"]["updated"] == 2  # the renamed team, the moved team
    assert_teams_in_place(db, store)
    assert db.execute("SELECT name FROM church.groups WHERE pco_id = %s",
                      (team["id"],)).fetchone() == ("Renamed Team",)
    assert chain(db, department_of(db, service_type=moving_type["id"]))[1][1] == empty["id"]


def test_what_staff_moved_by_hand_stays_until_pco_changes_it(church, db, db_url):
    sync(church, db_url, "r1", RESOURCES)
    store = church.store
    own = db.execute("INSERT INTO church.departments (name) VALUES ('Worship Ministries') "
                     "RETURNING id").fetchone()[0]
    team = sorted(store.tables["teams"].values(), key=lambda t: int(t["id"]))[0]
    moved_type = next(st for st in store.tables["service_types"].values()
                      if st["id"] != team["service_type_id"])
    type_department = department_of(db, service_type=moved_type["id"])
    db.execute("UPDATE church.departments SET parent_id = %s WHERE id = %s",
               (own, type_department))
    db.execute("UPDATE church.groups SET department_id = %s WHERE pco_id = %s",
               (own, team["id"]))
    db.commit()
    # a PCO rename does not undo a staff move
    store.update("service_types", moved_type["id"], {"name": "Evening"})
    store.update("teams", team["id"], {"name": "Band, renamed"})

    out = sync(church, db_url, "r2", RESOURCES)
    assert out["services_departments"]["updated"] == 1 and out["teams"]["updated"] == 1
    assert chain(db, type_department)[:2] == [("Evening", None, moved_type["id"]),
                                              ("Worship Ministries", None, None)]
    assert team_row(db, team["id"])[0] == own
    before = tables(db)
    sync(church, db_url, "r3", RESOURCES)
    assert tables(db) == before

    # PCO moves them: they follow
    folder = next(f for f in store.tables["folders"].values()
                  if f["id"] != moved_type["parent_id"])
    store.update("service_types", moved_type["id"], {"parent_id": folder["id"]})
    store.update("teams", team["id"], {"service_type_id": moved_type["id"],
                                       "service_type_ids": [moved_type["id"]]})
    sync(church, db_url, "r4", RESOURCES)
    assert_teams_in_place(db, store)
    assert chain(db, type_department)[1] == (folder["name"], folder["id"], None)


def test_a_team_staff_moved_to_the_top_stays_one_waiting_there_moves_in(church, db, db_url):
    """Directly under "PCO Services Teams" is where the sync puts a team whose service type
    has no department yet (church.groups.pco_department_id: where it last put it); a team
    staff moved there is a staff move like any other."""
    sync(church, db_url, "r1", RESOURCES)
    store = church.store
    root = db.execute("SELECT id FROM church.departments WHERE parent_id IS NULL AND name = %s",
                      (ROOT,)).fetchone()[0]
    moved, waiting = sorted(store.tables["teams"].values(), key=lambda t: int(t["id"]))[:2]
    db.execute("UPDATE church.groups SET department_id = %s WHERE pco_id = %s",
               (root, moved["id"]))
    # as the sync leaves a team whose service type had no department yet
    db.execute("UPDATE church.groups SET department_id = %s, pco_department_id = %s "
               "WHERE pco_id = %s", (root, root, waiting["id"]))
    db.commit()

    sync(church, db_url, "r2", RESOURCES)
    assert team_row(db, moved["id"]) == (root, moved["service_type_id"])
    department, _ = team_row(db, waiting["id"])
    assert chain(db, department) == pco_chain(store, waiting["service_type_id"])
    before = tables(db)
    sync(church, db_url, "r3", RESOURCES)
    assert tables(db) == before
    # PCO moves the staff-moved team to another service type: it follows
    other = next(st for st in store.tables["service_types"].values()
                 if st["id"] != moved["service_type_id"] and not st["deleted_at"])
    store.update("teams", moved["id"], {"service_type_id": other["id"],
                                        "service_type_ids": [other["id"]]})
    sync(church, db_url, "r4", RESOURCES)
    assert chain(db, team_row(db, moved["id"])[0]) == pco_chain(store, other["id"])


def test_two_pco_things_with_one_name_under_one_parent_never_fail_the_run(church, db, db_url):
    store = church.store
    folder = next(f for f in store.tables["folders"].values() if f["parent_id"])
    sync(church, db_url, "r1", RESOURCES)
    own = db.execute("INSERT INTO church.departments (name, parent_id) "
                     "SELECT 'Choir', parent_id FROM church.departments "
                     "WHERE pco_folder_id = %s RETURNING id", (folder["id"],)).fetchone()[0]
    db.commit()
    # PCO: a second service type beside one in the same folder, renamed to its name; a
    # folder renamed to the name staff gave a department of their own
    first = next(st for st in store.tables["service_types"].values()
                 if st["parent_id"] == folder["id"])
    name = first["name"]
    second = store.insert("service_types", {
        **{k: v for k, v in first.items() if k not in ("id", "created_at", "updated_at")},
        "name": name})
    store.update("folders", folder["id"], {"name": "Choir"})

    out = sync(church, db_url, "r2", RESOURCES)
    assert out["services_departments"]["created"] == 1
    names = dict(db.execute(
        "SELECT coalesce(pco_folder_id, pco_service_type_id, 'own'), name FROM church.departments "
        "WHERE id = %s OR pco_folder_id = %s OR pco_service_type_id IN (%s, %s)",
        (own, folder["id"], first["id"], second["id"])).fetchall())
    assert names == {"own": "Choir", folder["id"]: f"Choir (PCO folder {folder['id']})",
                     first["id"]: name,
                     second["id"]: f"{name} (PCO service type {second['id']})"}
    # the names swap in PCO: they swap here too, in one run
    store.update("service_types", first["id"], {"name": "Swapped"})
    sync(church, db_url, "r3", RESOURCES)
    store.update("service_types", second["id"], {"name": "Swapped"})
    store.update("service_types", first["id"], {"name": name})
    sync(church, db_url, "r4", RESOURCES)
    assert dict(db.execute("SELECT pco_service_type_id, name FROM church.departments "
                           "WHERE pco_service_type_id IN (%s, %s)",
                           (first["id"], second["id"])).fetchall()) == {
        first["id"]: name, second["id"]: "Swapped"}


def test_a_service_type_deleted_in_pco_keeps_its_department_and_teams(church, db, db_url):
    sync(church, db_url, "r1", RESOURCES)
    store = church.store
    team = sorted(store.tables["teams"].values(), key=lambda t: int(t["id"]))[0]
    department, _ = team_row(db, team["id"])
    store.update("service_types", team["service_type_id"], {"deleted_at": store.now_iso()})
    sync(church, db_url, "r2", RESOURCES)
    store.delete("service_types", team["service_type_id"])  # and gone from the list
    out = sync(church, db_url, "r3", RESOURCES)
    assert out["teams"]["updated"] == 0
    assert team_row(db, team["id"]) == (department, team["service_type_id"])
    assert chain(db, department)[0][2] == team["service_type_id"]


def test_every_live_team_gets_its_service_type_on_a_database_from_before_079(church, db,
                                                                              db_url):
    sync(church, db_url, "r1", RESOURCES)
    # as 078 left it: teams flat under the root, no service type recorded
    db.execute("UPDATE church.groups SET pco_service_type_id = NULL, department_id = "
               "(SELECT id FROM church.departments WHERE parent_id IS NULL AND name = %s) "
               "WHERE pco_type = 'Team'", (ROOT,))
    db.execute("UPDATE church.departments SET parent_id = NULL WHERE pco_folder_id IS NOT NULL "
               "OR pco_service_type_id IS NOT NULL")
    db.execute("DELETE FROM church.departments WHERE pco_folder_id IS NOT NULL "
               "OR pco_service_type_id IS NOT NULL")
    db.commit()
    out = sync(church, db_url, "r2", RESOURCES)
    assert out["teams"]["updated"] == len(church.store.tables["teams"])
    assert db.execute("SELECT count(*) FROM church.groups WHERE pco_type = 'Team' "
                      "AND deleted_in_pco_at IS NULL AND pco_service_type_id IS NULL"
                      ).fetchone()[0] == 0
    assert_teams_in_place(db, church.store)


def test_a_pco_move_meeting_a_staff_move_never_makes_a_loop(church, db, db_url):
    sync(church, db_url, "r1", RESOURCES)
    store = church.store
    nested = next(f for f in store.tables["folders"].values() if f["parent_id"])
    other = next(f for f in store.tables["folders"].values()
                 if f["id"] not in (nested["id"], nested["parent_id"]))
    # staff put the other folder's department inside the nested folder's; PCO then moves
    # the nested folder into the other one
    db.execute("UPDATE church.departments SET parent_id = %s WHERE id = %s",
               (department_of(db, folder=nested["id"]), department_of(db, folder=other["id"])))
    db.commit()
    store.update("folders", nested["id"], {"parent_id": other["id"]})
    sync(church, db_url, "r2", RESOURCES)
    assert [n for n, *_ in chain(db, department_of(db, folder=nested["id"]))] == \
        [nested["name"], ROOT]
    assert [n for n, *_ in chain(db, department_of(db, folder=other["id"]))] == \
        [other["name"], nested["name"], ROOT]
    before = tables(db)
    sync(church, db_url, "r3", RESOURCES)
    assert tables(db) == before
