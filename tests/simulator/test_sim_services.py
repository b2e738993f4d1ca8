"""PCO Services structure in the simulator: folders and service types, a team's service
types, assignments written through a service type, and "people in Services" (person_apps,
/services/v2/people). Shapes follow PCO's Services 2018-11-01 and People references and
developers' issues #219, #1328, #1417 (see docs/simulator.md)."""
from __future__ import annotations

import hashlib
import json

import pytest
import requests

from pco_simulator import SimConfig, Simulator
from pco_simulator.generator import GENERATED_TABLES, generate
from pco_simulator.schema import SERVICES_APP_ID
from pco_simulator.store import Store


@pytest.fixture
def sim(wiped_sim):
    """One server per module, wiped before each test (tests/simulator/conftest.py)."""
    return wiped_sim


@pytest.fixture(scope="module")
def church():
    with Simulator(SimConfig(rate_limit=100_000), people=200, seed=3) as s:
        session = requests.Session()
        session.auth, session.base, session.store = s.auth, s.url, s.store
        yield session
        session.close()


def get(s, path, params=None, status=200):
    r = s.get(s.base + path, params=params)
    assert r.status_code == status, (path, params, r.status_code, r.text[:500])
    return r.json()


def scan(s, path, params=None) -> list[dict]:
    out, offset = [], 0
    while True:
        doc = get(s, path, {**(params or {}), "per_page": 100, "offset": offset})
        out += doc["data"]
        if "next" not in doc["links"]:
            return out
        offset = doc["meta"]["next"]["offset"]


def post(s, path, body, status):
    r = s.post(s.base + path, json=body)
    assert r.status_code == status, (path, body, r.status_code, r.text[:500])
    return r.json() if r.content else None


def assignment_body(person_id, **attrs):
    return {"data": {"type": "PersonTeamPositionAssignment",
                     "attributes": {"person_id": person_id, **attrs}}}


# ---- reads: folders, service types, teams ----------------------------------------------------
def test_folders_nest_and_always_render_parent(church):
    folders = scan(church, "/services/v2/folders")
    assert {f["attributes"]["name"] for f in folders} >= {"Weekend Services", "Main Campus",
                                                           "Student Ministry"}
    by_name = {f["attributes"]["name"]: f for f in folders}
    for f in folders:
        assert f["type"] == "Folder"
        assert set(f["attributes"]) >= {"name", "container", "created_at", "updated_at"}
        assert "parent" in f["relationships"] and "campus" in f["relationships"]
        assert f["links"]["self"] == f"{church.base}/services/v2/folders/{f['id']}"
    top, nested = by_name["Weekend Services"], by_name["Main Campus"]
    assert top["relationships"]["parent"] == {"data": None}
    assert top["attributes"]["container"] is None
    assert nested["relationships"]["parent"]["data"] == {"type": "Folder", "id": top["id"]}
    assert nested["attributes"]["container"] == "Weekend Services"
    one = get(church, f"/services/v2/folders/{nested['id']}")["data"]
    assert one["attributes"] == nested["attributes"]
    assert one["links"]["service_types"].endswith(f"/folders/{nested['id']}/service_types")
    children = get(church, f"/services/v2/folders/{top['id']}/folders")
    assert [f["id"] for f in children["data"]] == [nested["id"]]
    assert children["meta"]["parent"] == {"id": top["id"], "type": "Folder"}
    get(church, "/services/v2/folders/1", status=404)


def test_service_types_have_their_folder_as_parent(church):
    types = scan(church, "/services/v2/service_types")
    assert 3 <= len(types) <= 6
    folder_ids = {f["id"] for f in scan(church, "/services/v2/folders")}
    parents = [t["relationships"]["parent"]["data"] for t in types]
    assert sum(p is None for p in parents) == 1  # one at the top level, the rest in folders
    assert all(p["type"] == "Folder" and p["id"] in folder_ids for p in parents if p)
    for t in types:
        assert t["type"] == "ServiceType"
        assert set(t["attributes"]) >= {"name", "sequence", "archived_at", "deleted_at",
                                         "created_at", "updated_at", "frequency",
                                         "permissions"}
        assert isinstance(t["attributes"]["sequence"], int)
    one = get(church, f"/services/v2/service_types/{types[0]['id']}")
    assert one["data"]["attributes"] == types[0]["attributes"]
    inside = parents[0]["id"]
    listed = get(church, f"/services/v2/folders/{inside}/service_types")["data"]
    assert types[0]["id"] in [t["id"] for t in listed]


def test_team_service_type_is_always_rendered_and_service_types_includable(church):
    plain = scan(church, "/services/v2/teams")
    for t in plain:
        assert t["relationships"]["service_type"]["data"]["type"] == "ServiceType"
        assert "service_types" not in t["relationships"]  # to-many only when included
    doc = get(church, "/services/v2/teams", {"include": "team_positions,service_types"})
    included = {(r["type"], r["id"]): r for r in doc["included"]}
    several = 0
    for t in doc["data"]:
        refs = t["relationships"]["service_types"]["data"]
        assert refs[0] == t["relationships"]["service_type"]["data"]
        several += len(refs) > 1
        for ref in refs + t["relationships"]["team_positions"]["data"]:
            assert (ref["type"], ref["id"]) in included
    assert several >= 1  # some teams serve a second service type
    types = [r for r in doc["included"] if r["type"] == "ServiceType"]
    assert types and all("parent" in r["relationships"] for r in types)
    # the team's own list of service types
    t = doc["data"][0]
    mine = get(church, f"/services/v2/teams/{t['id']}/service_types")["data"]
    refs = t["relationships"]["service_types"]["data"]
    assert [x["id"] for x in mine] == [r["id"] for r in refs]


def test_service_type_teams_and_positions(church):
    store = church.store
    for st in scan(church, "/services/v2/service_types"):
        teams = scan(church, f"/services/v2/service_types/{st['id']}/teams")
        want = sorted(t["id"] for t in store.tables["teams"].values()
                      if st["id"] in store.team_service_type_ids(t))
        assert sorted(t["id"] for t in teams) == want
        positions = scan(church, f"/services/v2/service_types/{st['id']}/team_positions")
        assert sorted(p["id"] for p in positions) == sorted(
            p["id"] for p in store.tables["team_positions"].values() if p["team_id"] in want)
    get(church, "/services/v2/service_types/99/teams", status=404)


# ---- people in Services -----------------------------------------------------------------------
def test_apps_list_services_and_the_other_products(church):
    apps = {a["attributes"]["name"]: a["id"] for a in scan(church, "/people/v2/apps")}
    assert {"Services", "People", "Groups", "Calendar"} <= set(apps)
    assert apps["Services"] == SERVICES_APP_ID


def test_services_people_are_holders_plus_a_few_and_some_archived(church):
    store = church.store
    people = scan(church, "/services/v2/people", {"order": "created_at"})
    ids = {p["id"] for p in people}
    holders = {a["person_id"] for a in store.tables["person_team_position_assignments"].values()}
    assert holders < ids and len(ids - holders) >= 3
    stamps = [p["attributes"]["created_at"] for p in people]
    assert stamps == sorted(stamps)
    archived = [p for p in people if p["attributes"]["archived"]]
    assert 1 <= len(archived) <= 2
    for p in archived:
        assert p["attributes"]["archived_at"] and p["id"] not in holders
    for p in people:
        assert p["type"] == "Person"
        a = p["attributes"]
        assert set(a) >= {"first_name", "last_name", "archived", "archived_at", "status",
                          "permissions", "max_permissions", "created_at", "updated_at"}
        assert a["first_name"] == store.tables["people"][p["id"]]["first_name"]
        assert a["archived"] is (a["archived_at"] is not None)
    page = get(church, "/services/v2/people", {"per_page": 5, "offset": 5})
    assert len(page["data"]) == 5 and page["meta"]["total_count"] == len(people)
    one = get(church, f"/services/v2/people/{people[0]['id']}")["data"]
    assert one["attributes"] == people[0]["attributes"]
    outsider = next(pid for pid in store.tables["people"] if pid not in ids)
    get(church, f"/services/v2/people/{outsider}", status=404)


def test_include_person_apps_on_people(church):
    store = church.store
    in_services = next(iter(store.tables["services_people"]))
    doc = get(church, f"/people/v2/people/{in_services}", {"include": "person_apps"})
    refs = doc["data"]["relationships"]["person_apps"]["data"]
    assert refs and all(r["type"] == "PersonApp" for r in refs)
    pa = doc["included"][0]
    assert pa["type"] == "PersonApp"
    assert pa["relationships"]["app"]["data"] == {"type": "App", "id": SERVICES_APP_ID}
    assert pa["relationships"]["person"]["data"] == {"type": "Person", "id": in_services}
    listing = get(church, "/people/v2/people", {"include": "person_apps", "per_page": 100})
    assert all("person_apps" in p["relationships"] for p in listing["data"])


# ---- writes -------------------------------------------------------------------------------------
def _structure(sim):
    s = sim.store
    folder = s.insert("folders", {"name": "Weekend"})
    st = s.insert("service_types", {"name": "Sunday", "parent_id": folder["id"]})
    other = s.insert("service_types", {"name": "Midweek"})
    team = s.insert("teams", {"name": "Band", "service_type_id": st["id"],
                              "service_type_ids": [st["id"]]})
    pos = s.insert("team_positions", {"team_id": team["id"], "name": "Drums"})
    return st, other, team, pos


def test_assignment_through_service_type_needs_a_services_person(sim, pco):
    st, other, team, pos = _structure(sim)
    person = post(pco, "/people/v2/people",
                  {"data": {"type": "Person", "attributes": {"first_name": "Ann"}}}, 201)["data"]
    path = (f"/services/v2/service_types/{st['id']}/team_positions/{pos['id']}"
            "/person_team_position_assignments")
    # not in Services yet: PCO's 422 (developers#1417)
    err = post(pco, path, assignment_body(person["id"]), 422)["errors"][0]
    assert err["title"] == "Validation Error" and err["detail"] == "must exist"
    assert err["source"] == {"parameter": "person"}
    get(pco, f"/services/v2/people/{person['id']}", status=404)
    # add them to Services (developers#1328: attribute app_id)
    pa = post(pco, f"/people/v2/people/{person['id']}/person_apps",
              {"data": {"type": "PersonApp", "attributes": {"app_id": SERVICES_APP_ID}}}, 201)
    assert pa["data"]["type"] == "PersonApp"
    assert pa["data"]["relationships"]["app"]["data"]["id"] == SERVICES_APP_ID
    again = pco.post(pco.base + f"/people/v2/people/{person['id']}/person_apps",
                     json={"data": {"type": "PersonApp", "relationships": {
                         "app": {"data": {"type": "App", "id": SERVICES_APP_ID}}}}})
    assert again.status_code == 422
    in_services = scan(pco, "/services/v2/people")
    assert [p["id"] for p in in_services] == [person["id"]]
    assert in_services[0]["attributes"]["archived"] is False
    # now the assignment is made (person_id as an integer, as PCO's own example sends it)
    a = post(pco, path, assignment_body(int(person["id"]), schedule_preference="Every week"),
             201)["data"]
    assert a["type"] == "PersonTeamPositionAssignment"
    assert a["relationships"]["person"]["data"] == {"type": "Person", "id": person["id"]}
    assert a["relationships"]["team_position"]["data"] == {"type": "TeamPosition",
                                                           "id": pos["id"]}
    assert a["links"]["self"] == f"{pco.base}{path}/{a['id']}"
    dup = post(pco, path, assignment_body(person["id"]), 422)["errors"][0]
    assert "already been taken" in dup["detail"]
    listed = get(pco, path)
    assert [x["id"] for x in listed["data"]] == [a["id"]]
    assert listed["data"][0]["links"]["self"] == a["links"]["self"]
    assert listed["meta"]["parent"] == {"id": pos["id"], "type": "TeamPosition"}
    by_person = get(pco, f"/services/v2/people/{person['id']}/person_team_position_assignments")
    assert [x["id"] for x in by_person["data"]] == [a["id"]]
    # the team paths still see and change it
    team_path = (f"/services/v2/teams/{team['id']}/team_positions/{pos['id']}"
                 f"/person_team_position_assignments/{a['id']}")
    assert get(pco, team_path)["data"]["id"] == a["id"]
    r = pco.patch(pco.base + f"{path}/{a['id']}", json={"data": {
        "type": "PersonTeamPositionAssignment", "attributes": {"schedule_preference":
                                                                "Once a month"}}})
    assert r.status_code == 200
    assert r.json()["data"]["attributes"]["schedule_preference"] == "Once a month"
    assert r.json()["data"]["links"]["self"] == a["links"]["self"]
    # not under the other service type
    wrong = (f"/services/v2/service_types/{other['id']}/team_positions/{pos['id']}"
             "/person_team_position_assignments")
    get(pco, wrong, status=404)
    assert pco.delete(pco.base + f"{wrong}/{a['id']}").status_code == 404
    post(pco, wrong, assignment_body(person["id"]), 404)
    r = pco.delete(pco.base + f"{path}/{a['id']}")
    assert r.status_code == 204 and r.content == b""
    get(pco, f"{path}/{a['id']}", status=404)
    assert get(pco, path)["data"] == []


def test_second_service_type_of_a_team_holds_its_positions(sim, pco):
    st, other, team, pos = _structure(sim)
    sim.store.update("teams", team["id"], {"service_type_ids": [st["id"], other["id"]]})
    person = post(pco, "/people/v2/people",
                  {"data": {"type": "Person", "attributes": {"first_name": "Bo"}}}, 201)["data"]
    sim.store.add_person_app(person["id"], SERVICES_APP_ID)
    path = (f"/services/v2/service_types/{other['id']}/team_positions/{pos['id']}"
            "/person_team_position_assignments")
    post(pco, path, assignment_body(person["id"]), 201)
    teams = get(pco, f"/services/v2/service_types/{other['id']}/teams")["data"]
    assert [t["id"] for t in teams] == [team["id"]]


def test_team_created_under_a_service_type_belongs_to_it(sim, pco):
    st, *_ = _structure(sim)
    made = post(pco, f"/services/v2/service_types/{st['id']}/teams",
                {"data": {"type": "Team", "attributes": {"name": "Greeters"}}}, 201)["data"]
    assert made["relationships"]["service_type"]["data"] == {"type": "ServiceType",
                                                             "id": st["id"]}
    loose = post(pco, "/services/v2/teams",
                 {"data": {"type": "Team", "attributes": {"name": "Loose"}}}, 201)["data"]
    assert loose["relationships"]["service_type"] == {"data": None}


def test_removing_the_services_app_takes_them_out_of_services(sim, pco):
    person = post(pco, "/people/v2/people",
                  {"data": {"type": "Person", "attributes": {"first_name": "Cy"}}}, 201)["data"]
    pa = post(pco, f"/people/v2/people/{person['id']}/person_apps",
              {"data": {"type": "PersonApp", "relationships": {
                  "app": {"data": {"type": "App", "id": SERVICES_APP_ID}}}}}, 201)["data"]
    get(pco, f"/services/v2/people/{person['id']}")
    r = pco.delete(pco.base + f"/people/v2/people/{person['id']}/person_apps/{pa['id']}")
    assert r.status_code == 204
    get(pco, f"/services/v2/people/{person['id']}", status=404)
    post(pco, f"/people/v2/people/{person['id']}/person_apps",
         {"data": {"type": "PersonApp", "attributes": {"app_id": "999"}}}, 422)


def test_a_merge_keeps_the_removed_persons_place_in_services(sim, pco):
    s = sim.store
    keep = s.insert("people", {"first_name": "Kept"})
    gone = s.insert("people", {"first_name": "Gone"})
    s.add_person_app(gone["id"], SERVICES_APP_ID)
    s.merge_people(keep["id"], gone["id"])
    ids = [p["id"] for p in scan(pco, "/services/v2/people")]
    assert ids == [keep["id"]]


def test_services_person_survives_persistence(sim, tmp_path):
    generate(sim.store, 60, 5)
    before = {t: dict(sim.store.tables[t]) for t in ("folders", "service_types",
                                                      "services_people", "person_apps")}
    path = tmp_path / "state.json"
    sim.store.save(str(path))
    other = Store()
    other.load(str(path))
    for table, rows in before.items():
        assert rows and other.tables[table] == rows, table
    assert other.tables["apps"] == sim.store.tables["apps"]


# ---- the generator ---------------------------------------------------------------------------
# Seed 3 at 200 people, recorded before the Services structure was added: the tables that
# existed then must not change (teams only gain service_type_id/service_type_ids).
BEFORE = {
    "people": 200, "emails": 142, "phone_numbers": 152, "addresses": 126, "households": 74,
    "household_memberships": 182, "group_types": 5, "groups": 5, "memberships": 75,
    "events": 4, "event_instances": 38, "teams": 3, "team_positions": 12,
    "person_team_position_assignments": 72,
}
BEFORE_HASHES = {  # sha256 prefixes of (ids, rows)
    "teams": ("5117bf157196f0c6", "a19c992792781a7a"),
    "team_positions": ("14da3822a1a25c3f", "1630456fbd2658a9"),
    "person_team_position_assignments": ("edd14f3cbb644f85", "8e9b16788127355a"),
    "people": ("0c21cba231ae36f7", "c7bdf4bd8292e771"),
}


def _hashes(store, table):
    rows = [{k: v for k, v in r.items() if k not in ("service_type_id", "service_type_ids")}
            for r in sorted(store.tables[table].values(), key=lambda r: int(r["id"]))]
    return (hashlib.sha256(json.dumps([r["id"] for r in rows]).encode()).hexdigest()[:16],
            hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:16])


def test_generator_keeps_existing_tables_and_is_deterministic():
    a, b = Store(), Store()
    counts = generate(a, 200, 3)
    assert generate(b, 200, 3) == counts
    assert {t: counts[t] for t in BEFORE} == BEFORE
    for table, want in BEFORE_HASHES.items():
        assert _hashes(a, table) == want, table
    for table in GENERATED_TABLES:
        assert a.tables[table] == b.tables[table], table
    assert counts["folders"] >= 3 and 3 <= counts["service_types"] <= 6
    assert counts["services_people"] == counts["person_apps"]
    for team in a.tables["teams"].values():
        assert team["service_type_id"] in a.tables["service_types"]
        assert team["service_type_ids"][0] == team["service_type_id"]
    for p in a.tables["services_people"].values():
        live = a.children("person_team_position_assignments", "person_id", p["id"])
        assert not (p["archived"] and live)
        assert p["created_at"] >= a.tables["people"][p["id"]]["created_at"]
    other = Store()
    generate(other, 200, 4)
    assert other.tables["services_people"] != a.tables["services_people"]
