"""Writing through the simulated PCO API: what it accepts, what it answers, and the error
bodies it answers when PCO would refuse (400 payload, 403 Forbidden, 422 validation)."""
from __future__ import annotations

import time

import pytest

from pco_simulator.schema import PERSON_ATTRS


@pytest.fixture
def sim(wiped_sim):
    """One server per module, wiped before each test (tests/simulator/conftest.py)."""
    return wiped_sim


def call(pco, method, path, body=None, status=None, **kw):
    r = pco.request(method, pco.base + path, json=body, **kw)
    if status is not None:
        assert r.status_code == status, (method, path, body, r.status_code, r.text[:500])
    return r


def wrap(type_, attrs=None, rels=None):
    data = {"type": type_, "attributes": attrs or {}}
    if rels:
        data["relationships"] = rels
    return {"data": data}


def ref(type_, rid):
    return {"data": {"type": type_, "id": rid}}


def new_person(pco, **attrs) -> dict:
    attrs = {"first_name": "Ann", "last_name": "Lee", **attrs}
    return call(pco, "POST", "/people/v2/people", wrap("Person", attrs), 201).json()["data"]


def error(r, status, title=None, parameter=None) -> dict:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("application/vnd.api+json")
    err = r.json()["errors"][0]
    assert err["status"] == str(status)
    if title:
        assert err["title"] == title
    if parameter:
        assert err["source"]["parameter"] == parameter
    return err


def advance(pco, seconds=5):
    """Move the simulator's clock instead of sleeping (timestamps have 1 s precision)."""
    r = pco.post(pco.base + "/__admin/clock", json={"advance_seconds": seconds})
    assert r.status_code == 200


# ---- people and contacts -------------------------------------------------------------------
def test_post_person_answers_201_with_the_full_resource(pco):
    r = call(pco, "POST", "/people/v2/people",
             wrap("Person", {"first_name": "Nathan", "last_name": "Hale",
                             "birthdate": "1990-04-05", "gender": "M"}), 201)
    assert r.headers["content-type"].startswith("application/vnd.api+json")
    data = r.json()["data"]
    assert data["type"] == "Person" and data["id"].isdigit()
    assert set(data["attributes"]) == set(PERSON_ATTRS)
    a = data["attributes"]
    assert (a["first_name"], a["last_name"], a["name"]) == ("Nathan", "Hale", "Nathan Hale")
    assert a["birthdate"] == "1990-04-05" and a["status"] == "active"
    assert a["created_at"] == a["updated_at"] and a["created_at"].endswith("Z")
    assert data["links"]["self"] == f"{pco.base}/people/v2/people/{data['id']}"
    again = call(pco, "GET", f"/people/v2/people/{data['id']}", status=200).json()["data"]
    assert again["attributes"] == a
    found = call(pco, "GET", "/people/v2/people",
                 params={"where[first_name]": "nathan", "where[last_name]": "HALE"},
                 status=200).json()
    assert [p["id"] for p in found["data"]] == [data["id"]]


def test_contacts_created_under_the_person_changed_and_deleted_by_their_own_id(pco):
    pid = new_person(pco)["id"]
    email = call(pco, "POST", f"/people/v2/people/{pid}/emails",
                 wrap("Email", {"address": "ann@example.com", "location": "Home"}), 201)
    email = email.json()["data"]
    assert email["type"] == "Email" and email["attributes"]["primary"] is True
    assert email["relationships"]["person"]["data"] == {"type": "Person", "id": pid}
    phone = call(pco, "POST", f"/people/v2/people/{pid}/phone_numbers",
                 wrap("PhoneNumber", {"number": "(614) 555-0101", "location": "Mobile"}),
                 201).json()["data"]
    assert phone["attributes"]["e164"] == "+16145550101"
    assert phone["attributes"]["national"] == "(614) 555-0101"
    addr = call(pco, "POST", f"/people/v2/people/{pid}/addresses",
                wrap("Address", {"street_line_1": "1 Main St", "city": "Columbus",
                                 "state": "OH", "zip": "43004", "location": "Home"}),
                201).json()["data"]
    assert addr["attributes"]["street_line_1"] == "1 Main St"
    second = call(pco, "POST", f"/people/v2/people/{pid}/emails",
                  wrap("Email", {"address": "ann@work.example"}), 201).json()["data"]
    assert second["attributes"]["primary"] is False

    listed = call(pco, "GET", f"/people/v2/people/{pid}/emails", status=200).json()
    assert {e["id"] for e in listed["data"]} == {email["id"], second["id"]}

    # change and delete at /people/v2/<contacts>/{id}: the sub-resource's id
    r = call(pco, "PATCH", f"/people/v2/emails/{email['id']}",
             wrap("Email", {"address": "ann@new.example"}), 200)
    assert r.json()["data"]["attributes"]["address"] == "ann@new.example"
    call(pco, "PATCH", f"/people/v2/emails/{pid}", wrap("Email", {"address": "x@y.zz"}), 404)
    r = call(pco, "PATCH", f"/people/v2/phone_numbers/{phone['id']}",
             wrap("PhoneNumber", {"number": "+1 740 555 0199"}), 200)
    assert r.json()["data"]["attributes"]["e164"] == "+17405550199"
    r = call(pco, "PATCH", f"/people/v2/addresses/{addr['id']}",
             wrap("Address", {"city": "Dublin"}), 200)
    assert r.json()["data"]["attributes"]["city"] == "Dublin"

    for table, rid in (("emails", email["id"]), ("phone_numbers", phone["id"]),
                       ("addresses", addr["id"])):
        r = call(pco, "DELETE", f"/people/v2/{table}/{rid}", status=204)
        assert r.content == b""
        call(pco, "GET", f"/people/v2/{table}/{rid}", status=404)
        call(pco, "DELETE", f"/people/v2/{table}/{rid}", status=404)
        mine = call(pco, "GET", f"/people/v2/people/{pid}/{table}", status=200).json()
        assert rid not in {x["id"] for x in mine["data"]}
        every = call(pco, "GET", f"/people/v2/{table}", status=200).json()
        assert rid not in {x["id"] for x in every["data"]}
    assert [e["id"] for e in call(pco, "GET", f"/people/v2/people/{pid}/emails",
                                  status=200).json()["data"]] == [second["id"]]


def test_delete_person_204_then_404_and_gone(pco):
    pid = new_person(pco)["id"]
    call(pco, "POST", f"/people/v2/people/{pid}/emails", wrap("Email", {"address": "a@b.co"}),
         201)
    r = call(pco, "DELETE", f"/people/v2/people/{pid}", status=204)
    assert r.content == b""
    call(pco, "GET", f"/people/v2/people/{pid}", status=404)
    assert call(pco, "GET", "/people/v2/people", status=200).json()["meta"]["total_count"] == 0
    assert call(pco, "GET", "/people/v2/emails", status=200).json()["data"] == []
    call(pco, "POST", f"/people/v2/people/{pid}/emails", wrap("Email", {"address": "a@b.co"}),
         404)


# ---- payload errors ------------------------------------------------------------------------
@pytest.mark.parametrize("body", [
    {"attributes": {"first_name": "Ann"}},
    {"type": "Person", "first_name": "Ann"},
    {},
    {"data": None},
])
def test_payload_without_data_is_400_invalid_resource_payload(pco, body):
    err = error(call(pco, "POST", "/people/v2/people", body), 400)
    assert err["code"] == "invalid_resource_payload"


def test_non_json_body_is_400(pco):
    r = pco.post(pco.base + "/people/v2/people", data=b"first_name=Ann",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    error(r, 400)
    pid = new_person(pco)["id"]
    r = pco.patch(pco.base + f"/people/v2/people/{pid}", data=b'{"data": {"attributes": ')
    error(r, 400)


def test_forbidden_attributes_are_422(sim, pco):
    err = error(call(pco, "POST", "/people/v2/people",
                     wrap("Person", {"name": "Ann Lee"})), 422, "Forbidden Attribute")
    assert "name" in err["detail"] and "cannot be assigned" in err["detail"]
    assert "name" in err["source"]["parameter"]
    pid = new_person(pco)["id"]
    for attr, value in (("name", "X"), ("created_at", "2020-01-01T00:00:00Z"),
                        ("e164", "+1"), ("id", "5")):
        error(call(pco, "PATCH", f"/people/v2/people/{pid}", wrap("Person", {attr: value})),
              422, "Forbidden Attribute")
    assert call(pco, "GET", f"/people/v2/people/{pid}", status=200).json()["data"][
        "attributes"]["name"] == "Ann Lee"

    g = sim.store.insert("groups", {"name": "Men's Breakfast", "description": "Saturdays"})
    err = error(call(pco, "PATCH", f"/groups/v2/groups/{g['id']}",
                     wrap("Group", {"description": "Sundays"})), 422, "Forbidden Attribute")
    assert "description" in err["detail"]
    r = call(pco, "PATCH", f"/groups/v2/groups/{g['id']}", wrap("Group", {"name": "Men"}), 200)
    assert r.json()["data"]["attributes"]["name"] == "Men"
    assert r.json()["data"]["attributes"]["description"] == "Saturdays"


@pytest.mark.parametrize("path_kind, attrs, parameter", [
    ("person", {"birthdate": "not-a-date"}, "birthdate"),
    ("person", {"birthdate": "2001-02-30"}, "birthdate"),
    ("person", {"anniversary": "yesterday"}, "anniversary"),
    ("person", {"status": "gone"}, "status"),
    ("person", {"status": "Active "}, "status"),
    ("person", {"child": "maybe"}, "child"),
    ("person", {"gender": "X"}, "gender"),
    ("email", {"address": "not an email"}, "address"),
    ("email", {"address": "ann@"}, "address"),
    ("email", {"location": "Home"}, "address"),  # address is required
    ("phone", {"location": "Home"}, "number"),
    ("address", {"city": "Nowhere"}, "street_line_1"),
])
def test_validation_errors_are_422_with_source_parameter(pco, path_kind, attrs, parameter):
    pid = new_person(pco)["id"]
    path, type_ = {
        "person": ("/people/v2/people", "Person"),
        "email": (f"/people/v2/people/{pid}/emails", "Email"),
        "phone": (f"/people/v2/people/{pid}/phone_numbers", "PhoneNumber"),
        "address": (f"/people/v2/people/{pid}/addresses", "Address"),
    }[path_kind]
    body = wrap(type_, {"first_name": "Bo", **attrs} if path_kind == "person" else attrs)
    err = error(call(pco, "POST", path, body), 422, "Validation Error", parameter)
    assert err["meta"]["resource"] == type_
    if path_kind == "person":  # and the same on PATCH
        error(call(pco, "PATCH", f"/people/v2/people/{pid}", wrap(type_, attrs)), 422,
              "Validation Error", parameter)
    assert call(pco, "GET", path if path_kind != "person" else "/people/v2/people",
                status=200).json()["meta"]["total_count"] == (1 if path_kind == "person" else 0)


def test_person_needs_a_name(pco):
    error(call(pco, "POST", "/people/v2/people", wrap("Person", {"gender": "F"})), 422,
          "Validation Error")


def test_status_inactive_sets_inactivated_at(pco):
    pid = new_person(pco)["id"]
    r = call(pco, "PATCH", f"/people/v2/people/{pid}", wrap("Person", {"status": "inactive"}),
             200).json()["data"]["attributes"]
    assert r["status"] == "inactive" and r["inactivated_at"]


# ---- remote_id -----------------------------------------------------------------------------
def test_remote_id_is_an_integer_assignable_and_queryable(pco):
    a = new_person(pco, remote_id=12345)
    assert a["attributes"]["remote_id"] == 12345
    b = new_person(pco, first_name="Bo")
    r = call(pco, "PATCH", f"/people/v2/people/{b['id']}", wrap("Person", {"remote_id": "678"}),
             200)
    assert r.json()["data"]["attributes"]["remote_id"] == 678  # string digits coerced
    top = new_person(pco, first_name="Cy", remote_id=2_147_483_647)
    assert top["attributes"]["remote_id"] == 2_147_483_647
    for rid, want in (("12345", a["id"]), ("678", b["id"]), ("2147483647", top["id"])):
        doc = call(pco, "GET", "/people/v2/people", params={"where[remote_id]": rid},
                   status=200).json()
        assert [p["id"] for p in doc["data"]] == [want]
    assert call(pco, "GET", "/people/v2/people", params={"where[remote_id]": "999"},
                status=200).json()["data"] == []
    for bad in (2_147_483_648, "abc", -1, 1.5, "12a", True):
        error(call(pco, "PATCH", f"/people/v2/people/{b['id']}",
                   wrap("Person", {"remote_id": bad})), 422, "Validation Error", "remote_id")
    error(call(pco, "POST", "/people/v2/people",
               wrap("Person", {"first_name": "Di", "remote_id": 10**12})), 422,
          "Validation Error", "remote_id")
    r = call(pco, "PATCH", f"/people/v2/people/{b['id']}", wrap("Person", {"remote_id": None}),
             200)
    assert r.json()["data"]["attributes"]["remote_id"] is None


# ---- updated_at ----------------------------------------------------------------------------
def test_every_write_bumps_updated_at(pco):
    p = new_person(pco)
    created = p["attributes"]["updated_at"]
    time.sleep(1.1)  # second precision
    r = call(pco, "PATCH", f"/people/v2/people/{p['id']}", wrap("Person", {"nickname": "Annie"}),
             200).json()["data"]["attributes"]
    assert r["updated_at"] > created and r["created_at"] == p["attributes"]["created_at"]
    email = call(pco, "POST", f"/people/v2/people/{p['id']}/emails",
                 wrap("Email", {"address": "a@b.co"}), 201).json()["data"]
    advance(pco)
    r = call(pco, "PATCH", f"/people/v2/emails/{email['id']}",
             wrap("Email", {"location": "Work"}), 200).json()["data"]["attributes"]
    assert r["updated_at"] > email["attributes"]["updated_at"]
    # an unchanged PATCH does not pretend something changed
    advance(pco)
    same = call(pco, "PATCH", f"/people/v2/emails/{email['id']}",
                wrap("Email", {"location": "Work"}), 200).json()["data"]["attributes"]
    assert same["updated_at"] == r["updated_at"]


def person_updated_at(pco, pid):
    return call(pco, "GET", f"/people/v2/people/{pid}", status=200).json()["data"][
        "attributes"]["updated_at"]


@pytest.mark.parametrize("table, attrs, change", [
    ("emails", {"address": "a@b.co"}, {"address": "c@d.co"}),
    ("phone_numbers", {"number": "6145550100"}, {"number": "6145550101"}),
    ("addresses", {"street_line_1": "1 Main"}, {"street_line_1": "2 Main"}),
])
def test_contact_writes_bump_the_persons_updated_at(pco, table, attrs, change):
    pid = new_person(pco)["id"]
    seen = [person_updated_at(pco, pid)]
    advance(pco)
    rid = call(pco, "POST", f"/people/v2/people/{pid}/{table}", wrap("X", attrs),
               201).json()["data"]["id"]
    seen.append(person_updated_at(pco, pid))
    advance(pco)
    call(pco, "PATCH", f"/people/v2/{table}/{rid}", wrap("X", change), 200)
    seen.append(person_updated_at(pco, pid))
    advance(pco)
    call(pco, "DELETE", f"/people/v2/{table}/{rid}", status=204)
    seen.append(person_updated_at(pco, pid))
    assert seen == sorted(seen) and len(set(seen)) == 4, seen


# ---- households ----------------------------------------------------------------------------
def household_body(people, primary=None, name="Lee Household"):
    rels = {"people": {"data": [{"type": "Person", "id": p} for p in people]}}
    if primary:
        rels["primary_contact"] = ref("Person", primary)
    return wrap("Household", {"name": name}, rels)


def test_household_post_and_memberships(pco):
    a, b, c = (new_person(pco, first_name=n)["id"] for n in ("Ann", "Bob", "Cy"))
    r = call(pco, "POST", "/people/v2/households", household_body([a, b], a), 201)
    hh = r.json()["data"]
    assert hh["type"] == "Household" and hh["attributes"]["name"] == "Lee Household"
    assert hh["attributes"]["primary_contact_id"] == a
    assert hh["attributes"]["member_count"] is None  # as recorded: null in the POST answer
    got = call(pco, "GET", f"/people/v2/households/{hh['id']}", status=200).json()["data"]
    assert got["attributes"]["member_count"] == 2
    people = call(pco, "GET", f"/people/v2/households/{hh['id']}/people", status=200).json()
    assert {p["id"] for p in people["data"]} == {a, b}

    path = f"/people/v2/households/{hh['id']}/household_memberships"
    body = wrap("HouseholdMembership", {}, {"person": ref("Person", c)})
    m = call(pco, "POST", path, body, 201).json()["data"]
    assert m["type"] == "HouseholdMembership"
    assert m["relationships"]["person"]["data"]["id"] == c
    error(call(pco, "POST", path, body), 422, "Validation Error")  # duplicate
    error(call(pco, "POST", path, wrap("HouseholdMembership", {},
                                      {"person": ref("Person", "424242")})), 422)
    members = call(pco, "GET", path, status=200).json()
    assert sorted(x["relationships"]["person"]["data"]["id"] for x in members["data"]) == \
        sorted([a, b, c])
    call(pco, "DELETE", f"{path}/{m['id']}", status=204)
    assert call(pco, "GET", f"/people/v2/households/{hh['id']}",
                status=200).json()["data"]["attributes"]["member_count"] == 2
    call(pco, "POST", "/people/v2/households/999/household_memberships", body, 404)


def test_deleting_a_household_removes_its_memberships_not_its_people(sim, pco):
    a, b = new_person(pco)["id"], new_person(pco, first_name="Bo")["id"]
    hh = call(pco, "POST", "/people/v2/households", household_body([a, b], a),
              201).json()["data"]["id"]
    assert call(pco, "DELETE", f"/people/v2/households/{hh}", status=204).content == b""
    call(pco, "GET", f"/people/v2/households/{hh}", status=404)
    call(pco, "GET", f"/people/v2/households/{hh}/household_memberships", status=404)
    for pid in (a, b):
        for sub in ("household_memberships", "households"):
            assert call(pco, "GET", f"/people/v2/people/{pid}/{sub}",
                        status=200).json()["data"] == []
    assert not sim.store.tables["household_memberships"]
    call(pco, "DELETE", f"/people/v2/people/{a}", status=204)  # no dangling membership
    call(pco, "GET", f"/people/v2/people/{b}", status=200)


@pytest.mark.parametrize("which", ["no_primary", "no_people", "primary_outside",
                                   "unknown_person"])
def test_household_post_needs_people_and_primary_contact(pco, which):
    a, b = new_person(pco)["id"], new_person(pco, first_name="Bo")["id"]
    body = {
        "no_primary": household_body([a, b]),
        "no_people": wrap("Household", {"name": "X"}, {"primary_contact": ref("Person", a)}),
        "primary_outside": household_body([a], b),
        "unknown_person": household_body([a, "77777"], a),
    }[which]
    err = error(call(pco, "POST", "/people/v2/households", body), 422, "Validation Error")
    assert err["source"]["parameter"] in ("people", "primary_contact")
    if which == "no_primary":
        assert err["source"]["parameter"] == "primary_contact"
    assert call(pco, "GET", "/people/v2/households", status=200).json()["data"] == []


# ---- groups --------------------------------------------------------------------------------
def test_group_memberships_post_one_active_per_person_and_delete(sim, pco):
    g = sim.store.insert("groups", {"name": "Youth", "memberships_count": 0})
    a, b = new_person(pco)["id"], new_person(pco, first_name="Bo")["id"]
    path = f"/groups/v2/groups/{g['id']}/memberships"
    m = call(pco, "POST", path, wrap("Membership", {
        "person_id": a, "role": "leader", "joined_at": "2025-09-01T00:00:00Z"}), 201)
    m = m.json()["data"]
    assert m["type"] == "Membership"
    assert m["attributes"]["role"] == "leader"
    assert m["attributes"]["joined_at"] == "2025-09-01T00:00:00Z"
    assert m["attributes"]["first_name"] == "Ann"
    assert m["relationships"]["person"]["data"]["id"] == a
    error(call(pco, "POST", path, wrap("Membership", {"person_id": a, "role": "member"})), 422,
          "Validation Error", "person_id")
    error(call(pco, "POST", path, wrap("Membership", {"person_id": b, "role": "boss"})), 422,
          "Validation Error", "role")
    error(call(pco, "POST", path, wrap("Membership", {"person_id": "55555"})), 422)
    error(call(pco, "POST", path, wrap("Membership", {"role": "member"})), 422)
    mb = call(pco, "POST", path, wrap("Membership", {"person_id": b}), 201).json()["data"]
    assert mb["attributes"]["role"] == "member"
    grp = call(pco, "GET", f"/groups/v2/groups/{g['id']}", status=200).json()["data"]
    assert grp["attributes"]["memberships_count"] == 2
    r = call(pco, "PATCH", f"{path}/{mb['id']}", wrap("Membership", {"role": "leader"}), 200)
    assert r.json()["data"]["attributes"]["role"] == "leader"
    assert call(pco, "DELETE", f"{path}/{m['id']}", status=204).content == b""
    call(pco, "GET", f"{path}/{m['id']}", status=404)
    assert [x["id"] for x in call(pco, "GET", path, status=200).json()["data"]] == [mb["id"]]
    # having left, the person can join again (a new membership)
    again = call(pco, "POST", path, wrap("Membership", {"person_id": a}), 201).json()["data"]
    assert again["id"] != m["id"]


def test_groups_cannot_be_created_or_deleted(sim, pco):
    r = call(pco, "POST", "/groups/v2/groups", wrap("Group", {"name": "New"}))
    err = error(r, 403, "Forbidden")
    assert err["detail"] == "You do not have access to this resource"
    assert "cannot create a Group" in err["meta"]["description"]
    g = sim.store.insert("groups", {"name": "Stays"})
    error(call(pco, "DELETE", f"/groups/v2/groups/{g['id']}"), 403, "Forbidden")
    call(pco, "GET", f"/groups/v2/groups/{g['id']}", status=200)
    assert call(pco, "GET", "/groups/v2/groups", status=200).json()["meta"]["total_count"] == 1


def test_calendar_events_are_read_only(sim, pco):
    error(call(pco, "POST", "/calendar/v2/events", wrap("Event", {"name": "Picnic"})), 403,
          "Forbidden")
    ev = sim.store.insert("events", {"name": "Worship"})
    error(call(pco, "PATCH", f"/calendar/v2/events/{ev['id']}", wrap("Event", {"name": "X"})),
          403, "Forbidden")
    error(call(pco, "DELETE", f"/calendar/v2/events/{ev['id']}"), 403, "Forbidden")
    error(call(pco, "POST", "/calendar/v2/event_instances", wrap("EventInstance", {})), 403)
    got = call(pco, "GET", f"/calendar/v2/events/{ev['id']}", status=200).json()["data"]
    assert got["attributes"]["name"] == "Worship"
    assert call(pco, "GET", "/calendar/v2/events", status=200).json()["meta"]["total_count"] == 1


# ---- services ------------------------------------------------------------------------------
def test_services_team_and_assignments(sim, pco):
    team = call(pco, "POST", "/services/v2/teams", wrap("Team", {"name": "Ushers"}),
                201).json()["data"]
    assert team["type"] == "Team" and team["attributes"]["name"] == "Ushers"
    assert team["attributes"]["deleted_at"] is None
    error(call(pco, "POST", "/services/v2/teams", wrap("Team", {"schedule_to": "plan"})), 422,
          "Validation Error", "name")
    listed = call(pco, "GET", "/services/v2/teams", status=200).json()
    assert [t["id"] for t in listed["data"]] == [team["id"]]
    pos = sim.store.insert("team_positions", {"team_id": team["id"], "name": "Door"})
    pid = new_person(pco)["id"]
    path = (f"/services/v2/teams/{team['id']}/team_positions/{pos['id']}"
            "/person_team_position_assignments")
    a = call(pco, "POST", path, wrap("PersonTeamPositionAssignment",
                                     {"schedule_preference": "Every week"},
                                     {"person": ref("Person", pid)}), 201).json()["data"]
    assert a["relationships"]["person"]["data"]["id"] == pid
    assert a["relationships"]["team_position"]["data"]["id"] == pos["id"]
    error(call(pco, "POST", path, wrap("PersonTeamPositionAssignment", {},
                                      {"person": ref("Person", pid)})), 422)
    whole = call(pco, "GET", f"/services/v2/teams/{team['id']}/person_team_position_assignments",
                 status=200).json()
    assert [x["id"] for x in whole["data"]] == [a["id"]]
    r = call(pco, "PATCH", f"{path}/{a['id']}", wrap("PersonTeamPositionAssignment",
                                                    {"schedule_preference": "Once a month"}), 200)
    assert r.json()["data"]["attributes"]["schedule_preference"] == "Once a month"
    assert call(pco, "DELETE", f"{path}/{a['id']}", status=204).content == b""
    call(pco, "GET", f"{path}/{a['id']}", status=404)
    assert call(pco, "GET", path, status=200).json()["data"] == []


# ---- webhooks ------------------------------------------------------------------------------
def test_webhook_subscription_post_validates_the_event_name(pco):
    path = "/webhooks/v2/webhook_subscriptions"
    ok = call(pco, "POST", path, wrap("WebhookSubscription", {
        "name": "people.v2.events.person.updated", "url": "http://127.0.0.1:9/hook"}), 201)
    sub = ok.json()["data"]["attributes"]
    assert sub["active"] is True and len(sub["authenticity_secret"]) >= 32
    for bad in ("people.v2.events.person.exploded", "people.v2.events.person", "",
                "calendar.v2.events.event.created"):
        error(call(pco, "POST", path, wrap("WebhookSubscription", {
            "name": bad, "url": "http://127.0.0.1:9/hook"})), 422, "Validation Error")
    error(call(pco, "POST", path, wrap("WebhookSubscription", {
        "name": "people.v2.events.person.created", "url": "ftp://example.com"})), 422,
        "Validation Error", "url")
    error(call(pco, "POST", path, wrap("WebhookSubscription", {
        "name": "people.v2.events.person.updated", "url": "http://127.0.0.1:9/hook"})), 422)
    assert call(pco, "GET", path, status=200).json()["meta"]["total_count"] == 1
