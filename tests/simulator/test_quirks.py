"""The real-API quirks the simulator reproduces: each on by default, each switchable
(SimConfig().quirks or admin PATCH /__admin/config {"quirks": {...}}), and what a sync sees
with it on and off."""
from __future__ import annotations

from dataclasses import asdict

import pytest

from pco_simulator import Quirks, SimConfig, Simulator

DAY = 86_400


@pytest.fixture
def sim(wiped_sim):
    """One server per module, wiped before each test (tests/simulator/conftest.py)."""
    return wiped_sim


def call(pco, method, path, body=None, status=None, **kw):
    r = pco.request(method, pco.base + path, json=body, **kw)
    if status is not None:
        assert r.status_code == status, (method, path, r.status_code, r.text[:400])
    return r


def admin(pco, method, path, body=None, status=200):
    r = pco.request(method, pco.base + "/__admin" + path, json=body)
    assert r.status_code == status, (path, r.status_code, r.text[:400])
    return r.json()


def quirk(pco, **values):
    cfg = admin(pco, "PATCH", "/config", {"quirks": values})
    for k, v in values.items():
        assert cfg["quirks"][k] is v


def advance(pco, seconds=60):
    return admin(pco, "POST", "/clock", {"advance_seconds": seconds})["now"]


def attrs(pco, path):
    return call(pco, "GET", path, status=200).json()["data"]["attributes"]


def new_person(pco, first="Ann", last="Lee"):
    body = {"data": {"type": "Person", "attributes": {"first_name": first, "last_name": last}}}
    return call(pco, "POST", "/people/v2/people", body, 201).json()["data"]["id"]


def new_household(pco, people, primary):
    body = {"data": {"type": "Household", "attributes": {"name": "H"}, "relationships": {
        "people": {"data": [{"type": "Person", "id": p} for p in people]},
        "primary_contact": {"data": {"type": "Person", "id": primary}}}}}
    return call(pco, "POST", "/people/v2/households", body, 201).json()["data"]["id"]


def test_every_quirk_is_on_by_default(pco):
    assert all(asdict(Quirks()).values())
    cfg = admin(pco, "GET", "/config")
    assert cfg["quirks"] == asdict(Quirks()) and all(cfg["quirks"].values())
    admin(pco, "PATCH", "/config", {"quirks": {"no_such_quirk": False}}, status=400)


# ---- household memberships do not bump updated_at (#1253) ----------------------------------
def household_membership_changes(pco):
    """Add and remove a member; return (person, household) updated_at before/after each."""
    a, b = new_person(pco), new_person(pco, "Bo")
    hh = new_household(pco, [a], a)
    seen = []

    def snap():
        seen.append((attrs(pco, f"/people/v2/people/{b}")["updated_at"],
                     attrs(pco, f"/people/v2/households/{hh}")["updated_at"]))

    snap()
    advance(pco)
    path = f"/people/v2/households/{hh}/household_memberships"
    m = call(pco, "POST", path, {"data": {"type": "HouseholdMembership", "relationships": {
        "person": {"data": {"type": "Person", "id": b}}}}}, 201).json()["data"]["id"]
    assert attrs(pco, f"/people/v2/households/{hh}")["member_count"] == 2
    snap()
    advance(pco)
    call(pco, "DELETE", f"{path}/{m}", status=204)
    snap()
    return seen


def test_household_membership_changes_do_not_bump_updated_at(pco):
    seen = household_membership_changes(pco)
    assert seen[0] == seen[1] == seen[2]


def test_household_membership_changes_bump_when_switched_off(pco):
    quirk(pco, household_membership_no_bump=False)
    seen = household_membership_changes(pco)
    (p0, h0), (p1, h1), (p2, h2) = seen
    assert p0 < p1 < p2 and h0 < h1 < h2


def test_household_quirk_switched_off_through_simconfig():
    cfg = SimConfig(rate_limit=100_000)
    cfg.quirks.household_membership_no_bump = False
    with Simulator(cfg) as s:
        st = s.store
        a = st.insert("people", {"first_name": "A"}, at="2020-01-01T00:00:00Z")
        b = st.insert("people", {"first_name": "B"}, at="2020-01-01T00:00:00Z")
        hh = st.create_household("H", [a["id"]], a["id"])
        st.update("households", hh["id"], {"updated_at": "2020-01-01T00:00:00Z"}, bump=False)
        st.move_person_to_household(b["id"], hh["id"])  # a staff member's move
        assert st.get("people", b["id"])["updated_at"] > "2020-01-01T00:00:00Z"
        assert st.get("households", hh["id"])["updated_at"] > "2020-01-01T00:00:00Z"


def test_household_member_count_null_in_post_answer_is_switchable(pco):
    a = new_person(pco)
    body = {"data": {"type": "Household", "attributes": {"name": "H"}, "relationships": {
        "people": {"data": [{"type": "Person", "id": a}]},
        "primary_contact": {"data": {"type": "Person", "id": a}}}}}
    r = call(pco, "POST", "/people/v2/households", body, 201).json()["data"]
    assert r["attributes"]["member_count"] is None
    quirk(pco, household_create_null_member_count=False)
    b = new_person(pco, "Bo")
    body["data"]["relationships"]["people"]["data"][0]["id"] = b
    body["data"]["relationships"]["primary_contact"]["data"]["id"] = b
    r = call(pco, "POST", "/people/v2/households", body, 201).json()["data"]
    assert r["attributes"]["member_count"] == 1


# ---- groups: no updated_at, memberships destroyed on leaving (#780, #1498) -----------------
def make_group(sim, pco):
    g = sim.store.insert("groups", {"name": "Choir", "memberships_count": 0})
    a, b = new_person(pco), new_person(pco, "Bo")
    path = f"/groups/v2/groups/{g['id']}/memberships"
    ma = call(pco, "POST", path, {"data": {"attributes": {"person_id": a}}}, 201).json()["data"]
    call(pco, "POST", path, {"data": {"attributes": {"person_id": b}}}, 201)
    return g["id"], path, a, b, ma["id"]


def test_groups_have_no_updated_at_and_leaving_destroys_the_membership(sim, pco):
    gid, path, a, b, ma = make_group(sim, pco)
    g = attrs(pco, f"/groups/v2/groups/{gid}")
    assert "updated_at" not in g
    assert "updated_at" not in call(pco, "GET", "/groups/v2/groups",
                                    status=200).json()["data"][0]["attributes"]
    assert "updated_at" not in call(pco, "GET", "/groups/v2/groups",
                                    status=200).json()["meta"]["can_order_by"]
    admin(pco, "DELETE", f"/groups/{gid}/members/{a}")  # leaves in PCO's UI
    call(pco, "GET", f"{path}/{ma}", status=404)
    left = call(pco, "GET", path, status=200).json()
    assert [m["relationships"]["person"]["data"]["id"] for m in left["data"]] == [b]
    assert left["meta"]["total_count"] == 1
    assert attrs(pco, f"/groups/v2/groups/{gid}")["memberships_count"] == 1


def test_groups_get_updated_at_when_switched_off(sim, pco):
    quirk(pco, groups_without_updated_at=False)
    gid, path, a, b, ma = make_group(sim, pco)
    g0 = attrs(pco, f"/groups/v2/groups/{gid}")
    assert g0["updated_at"]
    advance(pco)
    call(pco, "DELETE", f"{path}/{ma}", status=204)
    g1 = attrs(pco, f"/groups/v2/groups/{gid}")
    assert g1["updated_at"] > g0["updated_at"]
    advance(pco)
    r = call(pco, "PATCH", f"/groups/v2/groups/{gid}",
             {"data": {"type": "Group", "attributes": {"name": "Choir II"}}}, 200)
    assert r.json()["data"]["attributes"]["updated_at"] > g1["updated_at"]


# ---- deleted people ------------------------------------------------------------------------
def test_deleted_people_404_and_vanish_from_every_list(sim, pco):
    a, b = new_person(pco), new_person(pco, "Bo")
    hh = new_household(pco, [a, b], a)
    g = sim.store.insert("groups", {"name": "G"})
    sim.store.add_group_member(g["id"], b)
    call(pco, "POST", f"/people/v2/people/{b}/emails",
         {"data": {"attributes": {"address": "bo@example.com"}}}, 201)
    admin(pco, "DELETE", f"/records/people/{b}")  # deleted by staff
    call(pco, "GET", f"/people/v2/people/{b}", status=404)
    for path in ("/people/v2/people", f"/people/v2/households/{hh}/people",
                 f"/groups/v2/groups/{g['id']}/memberships", "/people/v2/emails"):
        doc = call(pco, "GET", path, status=200).json()
        ids = {x["id"] for x in doc["data"]} | {
            (x.get("relationships", {}).get("person") or {}).get("data", {}).get("id")
            for x in doc["data"]}
        assert b not in ids, path
    assert call(pco, "GET", "/people/v2/emails", status=200).json()["data"] == []
    people = call(pco, "GET", "/people/v2/people", status=200).json()
    assert [p["id"] for p in people["data"]] == [a]
    assert "deleted_at" not in people["data"][0]["attributes"]


# ---- merges --------------------------------------------------------------------------------
def contact(pco, pid, table, attrs_):
    return call(pco, "POST", f"/people/v2/people/{pid}/{table}", {"data": {"attributes": attrs_}},
                201).json()["data"]["id"]


def test_merge_moves_contacts_and_households_and_is_listed(sim, pco):
    keep, gone, other = new_person(pco), new_person(pco, "Annie"), new_person(pco, "Cy")
    e_keep = contact(pco, keep, "emails", {"address": "ann@a.example"})
    e_gone = contact(pco, gone, "emails", {"address": "annie@b.example"})
    ph = contact(pco, gone, "phone_numbers", {"number": "6145550100"})
    ad = contact(pco, gone, "addresses", {"street_line_1": "9 Elm"})
    hh = new_household(pco, [gone, other], gone)  # the removed person is primary contact
    before = advance(pco, 10)
    m = admin(pco, "POST", "/people/merge", {"keep_id": keep, "remove_id": gone})
    assert m["person_to_keep_id"] == keep and m["person_to_remove_id"] == gone

    call(pco, "GET", f"/people/v2/people/{gone}", status=404)
    call(pco, "GET", f"/people/v2/people/{gone}/emails", status=404)
    emails = call(pco, "GET", f"/people/v2/people/{keep}/emails", status=200).json()["data"]
    assert {e["id"] for e in emails} == {e_keep, e_gone}
    assert [p["id"] for p in call(pco, "GET", f"/people/v2/people/{keep}/phone_numbers",
                                  status=200).json()["data"]] == [ph]
    assert [p["id"] for p in call(pco, "GET", f"/people/v2/people/{keep}/addresses",
                                  status=200).json()["data"]] == [ad]
    moved = call(pco, "GET", f"/people/v2/emails/{e_gone}", status=200).json()["data"]
    assert moved["relationships"]["person"]["data"]["id"] == keep
    members = call(pco, "GET", f"/people/v2/households/{hh}/people", status=200).json()
    assert {p["id"] for p in members["data"]} == {keep, other}
    assert attrs(pco, f"/people/v2/households/{hh}")["primary_contact_id"] == keep
    assert [h["id"] for h in call(pco, "GET", f"/people/v2/people/{keep}/households",
                                  status=200).json()["data"]] == [hh]

    listed = call(pco, "GET", "/people/v2/person_mergers",
                  params={"where[created_at][gte]": before}, status=200).json()
    assert [x["id"] for x in listed["data"]] == [m["id"]]
    assert listed["data"][0]["attributes"]["person_to_remove_id"] == gone
    later = advance(pco, 10)
    assert call(pco, "GET", "/people/v2/person_mergers",
                params={"where[created_at][gte]": later}, status=200).json()["data"] == []
    admin(pco, "POST", "/people/merge", {"keep_id": keep, "remove_id": gone}, status=404)
    admin(pco, "POST", "/people/merge", {"keep_id": keep, "remove_id": keep}, status=400)


def test_merge_without_moving_contacts_when_switched_off(pco):
    quirk(pco, merge_moves_contacts=False)
    keep, gone = new_person(pco), new_person(pco, "Annie")
    e_gone = contact(pco, gone, "emails", {"address": "annie@b.example"})
    admin(pco, "POST", "/people/merge", {"keep_id": keep, "remove_id": gone})
    call(pco, "GET", f"/people/v2/people/{gone}", status=404)
    call(pco, "GET", f"/people/v2/emails/{e_gone}", status=404)
    assert call(pco, "GET", f"/people/v2/people/{keep}/emails", status=200).json()["data"] == []
    assert call(pco, "GET", "/people/v2/person_mergers",
                status=200).json()["meta"]["total_count"] == 1


def test_merge_when_both_are_in_the_same_household(pco):
    keep, gone = new_person(pco), new_person(pco, "Annie")
    hh = new_household(pco, [keep, gone], gone)
    admin(pco, "POST", "/people/merge", {"keep_id": keep, "remove_id": gone})
    hm = call(pco, "GET", f"/people/v2/households/{hh}/household_memberships",
              status=200).json()["data"]
    assert [m["relationships"]["person"]["data"]["id"] for m in hm] == [keep]
    assert attrs(pco, f"/people/v2/households/{hh}")["primary_contact_id"] == keep


# ---- offset paging is not a snapshot -------------------------------------------------------
def scan_with_edit(sim, pco):
    """Ten people with distinct old updated_at; scan order=updated_at 4 per page and edit
    a record of page 1 (through the API) before fetching page 2. Returns (seen, ids, edited)."""
    ids = [sim.store.insert("people", {"first_name": f"P{i}", "last_name": "X",
                                       "status": "active"},
                            at=f"2024-01-01T00:00:{i:02d}Z", emit=False)["id"]
           for i in range(10)]
    params = {"order": "updated_at", "per_page": 4}
    page = call(pco, "GET", "/people/v2/people", params=params, status=200).json()
    assert [p["id"] for p in page["data"]] == ids[:4]
    seen = [p["id"] for p in page["data"]]
    call(pco, "PATCH", f"/people/v2/people/{ids[1]}",
         {"data": {"type": "Person", "attributes": {"nickname": "Bee"}}}, 200)
    while "next" in page["links"]:
        page = pco.get(page["links"]["next"]).json()
        seen += [p["id"] for p in page["data"]]
    return seen, ids, ids[1]


def test_offset_paging_is_not_a_snapshot(sim, pco):
    seen, ids, edited = scan_with_edit(sim, pco)
    assert ids[4] not in seen, "the record that shifted onto page 1 is skipped"
    assert seen.count(edited) == 2, "the edited record shows up again at the end"
    assert set(ids) - set(seen) == {ids[4]}


def test_offset_paging_is_stable_when_switched_off(sim, pco):
    quirk(pco, offset_not_snapshot=False)
    seen, ids, edited = scan_with_edit(sim, pco)
    assert seen == ids
    # a new scan (offset 0) sees the edit
    fresh = call(pco, "GET", "/people/v2/people",
                 params={"order": "updated_at", "per_page": 100}, status=200).json()
    assert [p["id"] for p in fresh["data"]][-1] == edited


# ---- deleted Services teams linger 30 days -------------------------------------------------
def make_team(sim, pco, name="Band"):
    tid = call(pco, "POST", "/services/v2/teams", {"data": {"type": "Team", "attributes": {
        "name": name}}}, 201).json()["data"]["id"]
    pos = sim.store.insert("team_positions", {"team_id": tid, "name": "Drums"})
    return tid, pos["id"]


def test_deleted_teams_linger_with_deleted_at_then_vanish(sim, pco):
    tid, pos = make_team(sim, pco)
    keep, _ = make_team(sim, pco, "Tech")
    call(pco, "DELETE", f"/services/v2/teams/{tid}", status=204)
    t = attrs(pco, f"/services/v2/teams/{tid}")
    assert t["deleted_at"] is not None
    listed = call(pco, "GET", "/services/v2/teams", status=200).json()["data"]
    assert {x["id"]: x["attributes"]["deleted_at"] is not None for x in listed} == \
        {tid: True, keep: False}
    call(pco, "GET", f"/services/v2/teams/{tid}/team_positions/{pos}", status=200)
    advance(pco, 29 * DAY)
    call(pco, "GET", f"/services/v2/teams/{tid}", status=200)
    advance(pco, 2 * DAY)  # 31 days after the deletion
    call(pco, "GET", f"/services/v2/teams/{tid}", status=404)
    assert [x["id"] for x in call(pco, "GET", "/services/v2/teams",
                                  status=200).json()["data"]] == [keep]
    call(pco, "GET", f"/services/v2/teams/{tid}/team_positions/{pos}", status=404)
    assert pos not in sim.store.tables["team_positions"]


def test_deleted_teams_vanish_at_once_when_switched_off(sim, pco):
    quirk(pco, deleted_teams_linger=False)
    tid, _ = make_team(sim, pco)
    call(pco, "DELETE", f"/services/v2/teams/{tid}", status=204)
    call(pco, "GET", f"/services/v2/teams/{tid}", status=404)
    assert call(pco, "GET", "/services/v2/teams", status=200).json()["data"] == []
