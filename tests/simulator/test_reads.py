"""Reading lists and records from the simulator the way PCO serves them: paging and links,
where/order/include, nested lists and their meta.parent, and 404s.

Most tests read the session-wide generated church (`seeded_sim`, read-only); tests that
need exact values seed a fresh empty simulator (`sim`/`pco`) through its store.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests


ORG = {"id": "263468", "type": "Organization"}


@pytest.fixture
def sim(wiped_sim):
    """One server per module, wiped before each test (tests/simulator/conftest.py)."""
    return wiped_sim


@pytest.fixture(scope="module")
def church(seeded_sim):
    s = requests.Session()
    s.auth = seeded_sim.auth
    s.base = seeded_sim.url
    s.store = seeded_sim.store
    yield s
    s.close()


def get(s, path, params=None, status=200):
    r = s.get(s.base + path, params=params)
    assert r.status_code == status, (path, params, r.status_code, r.text[:500])
    return r.json()


def scan(s, path, params=None) -> list[dict]:
    """Every record of a list by following links.next from the first page."""
    doc = get(s, path, params)
    out, total = list(doc["data"]), doc["meta"]["total_count"]
    while "next" in doc["links"]:
        doc = s.get(doc["links"]["next"]).json()
        out += doc["data"]
    assert len(out) == total
    return out


def person(store, first, last="Doe", updated_at="2025-06-01T12:00:00Z", **more):
    return store.insert("people", {"first_name": first, "last_name": last, "status": "active",
                                   "created_at": "2020-01-01T00:00:00Z",
                                   "updated_at": updated_at, **more}, emit=False)


# ---- paging --------------------------------------------------------------------------------
def test_default_page_is_25_with_total_next_and_no_prev(church):
    doc = get(church, "/people/v2/people")
    assert len(doc["data"]) == 25
    assert doc["meta"]["total_count"] == len(church.store.tables["people"]) == 400
    assert doc["meta"]["count"] == 25
    assert doc["meta"]["next"] == {"offset": 25}
    assert "prev" not in doc["meta"] and "prev" not in doc["links"]
    assert doc["links"]["self"] == church.base + "/people/v2/people"
    assert doc["links"]["next"] == church.base + "/people/v2/people?offset=25"
    ids = [r["id"] for r in doc["data"]]
    assert ids == sorted(ids, key=int)  # default order is by id


def test_per_page_is_clamped_to_1_and_100(church):
    big = get(church, "/people/v2/people", {"per_page": 500})
    assert len(big["data"]) == 100 and big["meta"]["count"] == 100
    assert big["meta"]["next"] == {"offset": 100}
    small = get(church, "/people/v2/people", {"per_page": 0})
    assert len(small["data"]) == 1 and small["meta"]["next"] == {"offset": 1}


def test_offset_prev_and_next(church):
    whole = [r["id"] for r in get(church, "/people/v2/people", {"per_page": 100})["data"]]
    doc = get(church, "/people/v2/people", {"per_page": 10, "offset": 30})
    assert [r["id"] for r in doc["data"]] == whole[30:40]
    assert doc["meta"]["prev"] == {"offset": 20} and doc["meta"]["next"] == {"offset": 40}
    assert doc["links"]["prev"] == church.base + "/people/v2/people?offset=20&per_page=10"
    assert doc["links"]["next"] == church.base + "/people/v2/people?offset=40&per_page=10"
    # prev never goes below 0; the last page has no next
    doc = get(church, "/people/v2/people", {"per_page": 10, "offset": 5})
    assert doc["meta"]["prev"] == {"offset": 0}
    last = get(church, "/people/v2/people", {"per_page": 10, "offset": 395})
    assert last["meta"]["count"] == 5 and "next" not in last["meta"]
    assert "next" not in last["links"]
    past = get(church, "/people/v2/people", {"offset": 5000})
    assert past["data"] == [] and past["meta"]["total_count"] == 400


def test_links_keep_the_whole_query_sorted_by_name(church):
    params = [("where[status]", "active"), ("per_page", "5"), ("order", "last_name"),
              ("include", "emails")]
    doc = get(church, "/people/v2/people", params)
    base = church.base + "/people/v2/people"
    assert doc["links"]["self"] == \
        base + "?include=emails&order=last_name&per_page=5&where[status]=active"
    assert doc["links"]["next"] == \
        base + "?include=emails&offset=5&order=last_name&per_page=5&where[status]=active"
    nxt = church.get(doc["links"]["next"]).json()
    assert nxt["links"]["prev"] == \
        base + "?include=emails&offset=0&order=last_name&per_page=5&where[status]=active"
    assert dict(parse_qsl(urlsplit(nxt["links"]["self"]).query))["offset"] == "5"


@pytest.mark.parametrize("params", [
    {"per_page": 37, "order": "-updated_at"},
    {"per_page": 100},
    {"per_page": 25, "where[status]": "inactive", "order": "last_name"},
])
def test_following_next_visits_every_record_exactly_once(church, params):
    rows = scan(church, "/people/v2/people", params)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    expected = {p["id"] for p in church.store.tables["people"].values()
                if params.get("where[status]", p["status"]) == p["status"]}
    assert set(ids) == expected and expected


# ---- where ---------------------------------------------------------------------------------
def test_where_string_equality_is_case_insensitive(sim, pco):
    ana, ana2 = person(sim.store, "Ana"), person(sim.store, "ANA")
    person(sim.store, "Anabel")
    person(sim.store, "Bob", status="inactive")
    for value in ("ana", "ANA", "aNa"):
        doc = get(pco, "/people/v2/people", {"where[first_name]": value})
        assert {r["id"] for r in doc["data"]} == {ana["id"], ana2["id"]}  # not a prefix match
    doc = get(pco, "/people/v2/people", {"where[status]": "INACTIVE"})
    assert [r["attributes"]["first_name"] for r in doc["data"]] == ["Bob"]
    doc = get(pco, "/people/v2/people", {"where[first_name]": "ana", "where[last_name]": "nope"})
    assert doc["data"] == [] and doc["meta"]["total_count"] == 0


def test_where_updated_at_comparisons_with_full_utc_timestamps(sim, pco):
    stamps = ["2026-01-01T04:59:59Z", "2026-01-01T05:00:00Z", "2026-01-01T05:00:01Z",
              "2026-01-02T00:00:00Z"]
    ids = [person(sim.store, f"P{i}", updated_at=t)["id"] for i, t in enumerate(stamps)]

    def q(**ops):
        params = {f"where[updated_at][{op}]": v for op, v in ops.items()}
        return [r["id"] for r in get(pco, "/people/v2/people", params)["data"]]

    t = "2026-01-01T05:00:00Z"
    assert q(gte=t) == ids[1:]
    assert q(gt=t) == ids[2:]
    assert q(lt=t) == ids[:1]
    assert q(lte=t) == ids[:2]
    assert q(gte=t, lt="2026-01-02T00:00:00Z") == ids[1:3]
    # the same instant written with an offset
    assert q(gte="2026-01-01T00:00:00-05:00") == ids[1:]
    # plain equality
    doc = get(pco, "/people/v2/people", {"where[updated_at]": t})
    assert [r["id"] for r in doc["data"]] == [ids[1]]


def test_bare_date_is_read_in_the_org_time_zone(sim, pco):
    """America/New_York: midnight is 05:00Z in winter (EST) and 04:00Z in summer (EDT)."""
    assert sim.config.time_zone == "America/New_York"
    w1 = person(sim.store, "w1", updated_at="2026-01-01T04:59:59Z")["id"]
    w2 = person(sim.store, "w2", updated_at="2026-01-01T05:00:00Z")["id"]
    s1 = person(sim.store, "s1", updated_at="2026-07-01T03:59:59Z")["id"]
    s2 = person(sim.store, "s2", updated_at="2026-07-01T04:00:00Z")["id"]

    def q(op, v):
        return [r["id"] for r in get(pco, "/people/v2/people",
                                     {f"where[updated_at][{op}]": v})["data"]]

    assert q("gte", "2026-01-01") == [w2, s1, s2]  # not 00:00Z, which would take w1 too
    assert q("lt", "2026-01-01") == [w1]
    assert q("gte", "2026-07-01") == [s2]
    assert q("lt", "2026-07-01") == [w1, w2, s1]


def test_where_integer_and_boolean_attributes(sim, pco):
    a = person(sim.store, "A", remote_id=42, child=True)
    person(sim.store, "B", remote_id=7, child=False)
    assert [r["id"] for r in get(pco, "/people/v2/people",
                                 {"where[remote_id]": "42"})["data"]] == [a["id"]]
    assert [r["id"] for r in get(pco, "/people/v2/people",
                                 {"where[child]": "true"})["data"]] == [a["id"]]


# ---- order ---------------------------------------------------------------------------------
def test_order_ascending_and_descending(sim, pco):
    for first, last in (("x", "bravo"), ("y", "Alpha"), ("z", "charlie")):
        person(sim.store, first, last)
    names = lambda doc: [r["attributes"]["last_name"] for r in doc["data"]]  # noqa: E731
    assert names(get(pco, "/people/v2/people", {"order": "last_name"})) == \
        ["Alpha", "bravo", "charlie"]
    assert names(get(pco, "/people/v2/people", {"order": "-last_name"})) == \
        ["charlie", "bravo", "Alpha"]


@pytest.mark.parametrize("attr", ["updated_at", "-updated_at", "created_at", "-birthdate"])
def test_order_on_the_generated_church(church, attr):
    rows = scan(church, "/people/v2/people", {"order": attr, "per_page": 100})
    values = [r["attributes"][attr.lstrip("-")] for r in rows]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=attr.startswith("-"))
    assert len(set(values)) > 10


# ---- include -------------------------------------------------------------------------------
def test_people_include_contacts_flat_and_deduplicated(church):
    doc = get(church, "/people/v2/people",
              {"include": "emails,phone_numbers,addresses", "per_page": 100})
    keys = [(i["type"], i["id"]) for i in doc["included"]]
    assert len(keys) == len(set(keys)), "included must be de-duplicated"
    assert {t for t, _ in keys} == {"Email", "PhoneNumber", "Address"}
    referenced = set()
    for rec in doc["data"]:
        rels = rec["relationships"]
        for name, typ in (("emails", "Email"), ("phone_numbers", "PhoneNumber"),
                          ("addresses", "Address")):
            assert isinstance(rels[name]["data"], list)
            for ref in rels[name]["data"]:
                assert ref["type"] == typ
                referenced.add((ref["type"], ref["id"]))
    assert referenced == set(keys)  # everything referenced is included and nothing else
    by_key = {(i["type"], i["id"]): i for i in doc["included"]}
    for rec in doc["data"]:
        for ref in rec["relationships"]["emails"]["data"]:
            owner = by_key[(ref["type"], ref["id"])]["relationships"]["person"]["data"]
            assert owner == {"type": "Person", "id": rec["id"]}
    # the counts agree with the store
    store = church.store
    page_ids = {r["id"] for r in doc["data"]}
    n_emails = sum(1 for e in store.tables["emails"].values() if e["person_id"] in page_ids)
    assert sum(1 for t, _ in keys if t == "Email") == n_emails > 0


def test_relationship_keys_only_for_what_was_included(church):
    doc = get(church, "/people/v2/people", {"per_page": 5})
    for rec in doc["data"]:
        for name in ("emails", "phone_numbers", "addresses", "households"):
            assert name not in rec.get("relationships", {})
    assert doc["included"] == []
    doc = get(church, "/people/v2/people", {"per_page": 5, "include": "emails"})
    for rec in doc["data"]:
        assert "emails" in rec["relationships"]
        assert "phone_numbers" not in rec["relationships"]
    assert {i["type"] for i in doc["included"]} <= {"Email"}


def test_shared_records_are_included_once(church):
    """Spouses share a household; instances share an event: each is included once."""
    doc = get(church, "/people/v2/people", {"include": "households", "per_page": 100})
    refs = [ref["id"] for r in doc["data"] for ref in r["relationships"]["households"]["data"]]
    included = [i["id"] for i in doc["included"] if i["type"] == "Household"]
    assert len(refs) > len(set(refs)), "the generated church should have shared households"
    assert sorted(included) == sorted(set(refs))

    doc = get(church, "/calendar/v2/event_instances", {"include": "event", "per_page": 100})
    events = [i for i in doc["included"] if i["type"] == "Event"]
    assert len(events) == len({e["id"] for e in events}) < len(doc["data"])
    ids = {e["id"] for e in events}
    for inst in doc["data"]:
        assert inst["relationships"]["event"]["data"]["id"] in ids
        assert inst["relationships"]["event"]["data"]["type"] == "Event"


def test_single_person_with_include(church):
    pid = next(e["person_id"] for e in church.store.tables["emails"].values())
    doc = get(church, f"/people/v2/people/{pid}", {"include": "emails"})
    assert doc["data"]["id"] == pid
    want = {e["id"] for e in church.store.children("emails", "person_id", pid)}
    assert {r["id"] for r in doc["data"]["relationships"]["emails"]["data"]} == want
    assert {i["id"] for i in doc["included"]} == want
    assert doc["meta"]["parent"] == ORG
    assert "can_include" in doc["meta"]


# ---- households ----------------------------------------------------------------------------
def test_households_include_people_and_nested_lists(church):
    doc = get(church, "/people/v2/households", {"include": "people", "per_page": 20})
    assert doc["meta"]["total_count"] == len(church.store.tables["households"])
    for hh in doc["data"][:8]:
        member_ids = [r["id"] for r in hh["relationships"]["people"]["data"]]
        assert hh["attributes"]["member_count"] == len(member_ids) > 0
        assert hh["attributes"]["primary_contact_id"] in member_ids
        people = get(church, f"/people/v2/households/{hh['id']}/people")
        assert sorted(p["id"] for p in people["data"]) == sorted(member_ids)
        assert people["meta"]["parent"] == {"id": hh["id"], "type": "Household"}
        hms = get(church, f"/people/v2/households/{hh['id']}/household_memberships")
        assert hms["meta"]["parent"] == {"id": hh["id"], "type": "Household"}
        assert sorted(m["relationships"]["person"]["data"]["id"] for m in hms["data"]) == \
            sorted(member_ids)
        for m in hms["data"]:
            assert m["type"] == "HouseholdMembership"
            assert m["relationships"]["household"]["data"]["id"] == hh["id"]
            assert "pending" in m["attributes"] and "person_name" in m["attributes"]
    people_included = {i["id"] for i in doc["included"]}
    assert people_included == {r["id"] for hh in doc["data"]
                               for r in hh["relationships"]["people"]["data"]}


def test_person_nested_lists_have_the_person_as_parent(church):
    pid = next(e["person_id"] for e in church.store.tables["emails"].values())
    for sub in ("emails", "phone_numbers", "addresses", "households", "household_memberships"):
        doc = get(church, f"/people/v2/people/{pid}/{sub}")
        assert doc["meta"]["parent"] == {"id": pid, "type": "Person"}
        assert "can_filter" not in doc["meta"]
    emails = get(church, f"/people/v2/people/{pid}/emails")["data"]
    assert emails and all(e["relationships"]["person"]["data"]["id"] == pid for e in emails)


# ---- groups --------------------------------------------------------------------------------
def test_group_lists_hide_archived_groups_unless_asked(church):
    """PCO lists only groups that are not archived; where[archive_status]=include lists
    both and =only the archived ones (developers#781); other values read as the default."""
    stored = church.store.tables["groups"].values()
    archived = {g["id"] for g in stored if g["archived_at"]}
    active = {g["id"] for g in stored if not g["archived_at"]}
    assert archived and active
    ids = lambda params: {g["id"] for g in scan(church, "/groups/v2/groups",  # noqa: E731
                                                 {"per_page": 100, **params})}
    assert ids({}) == active
    assert ids({"where[archive_status]": "not_archived"}) == active
    assert ids({"where[archive_status]": "archived"}) == active
    assert ids({"where[archive_status]": "only"}) == archived
    assert ids({"where[archive_status]": "include"}) == archived | active
    gtype = next(g["group_type_id"] for g in stored if g["archived_at"])
    nested = {g["id"] for g in scan(church, f"/groups/v2/group_types/{gtype}/groups")}
    assert nested == {g["id"] for g in stored if g["group_type_id"] == gtype
                      and not g["archived_at"]}


def test_groups_memberships_and_group_types(church):
    groups = scan(church, "/groups/v2/groups", {"per_page": 100,
                                                "where[archive_status]": "include"})
    assert len(groups) == len(church.store.tables["groups"]) > 0
    g = max(groups, key=lambda g: g["attributes"]["memberships_count"])
    assert "updated_at" not in g["attributes"]  # PCO groups carry no updated_at (#780)
    members = scan(church, f"/groups/v2/groups/{g['id']}/memberships", {"per_page": 100})
    assert len(members) == g["attributes"]["memberships_count"] > 0
    first = get(church, f"/groups/v2/groups/{g['id']}/memberships")
    assert first["meta"]["parent"] == {"id": g["id"], "type": "Group"}
    for m in members:
        assert m["type"] == "Membership"
        assert m["attributes"]["role"] in ("member", "leader")
        assert m["relationships"]["group"]["data"]["id"] == g["id"]
        pid = m["relationships"]["person"]["data"]["id"]
        assert m["attributes"]["last_name"] == church.store.get("people", pid)["last_name"]
    types = scan(church, "/groups/v2/group_types")
    assert len(types) == len(church.store.tables["group_types"]) > 0
    gt = g["relationships"]["group_type"]["data"]["id"]
    of_type = get(church, f"/groups/v2/group_types/{gt}/groups", {"per_page": 100})
    assert g["id"] in {x["id"] for x in of_type["data"]}
    assert of_type["meta"]["parent"] == {"id": gt, "type": "GroupType"}
    assert get(church, f"/groups/v2/group_types/{gt}")["data"]["type"] == "GroupType"


# ---- calendar ------------------------------------------------------------------------------
def test_calendar_events_and_instances(church):
    events = scan(church, "/calendar/v2/events")
    assert len(events) == len(church.store.tables["events"]) > 0
    ev = events[0]
    inst = get(church, f"/calendar/v2/events/{ev['id']}/event_instances", {"per_page": 100})
    assert inst["meta"]["parent"] == {"id": ev["id"], "type": "Event"}
    assert inst["data"] and all(i["attributes"]["name"] == ev["attributes"]["name"]
                                for i in inst["data"])
    doc = get(church, "/calendar/v2/event_instances",
              {"where[starts_at][gte]": "2026-01-01T00:00:00Z", "order": "starts_at"})
    starts = [i["attributes"]["starts_at"] for i in doc["data"]]
    assert starts == sorted(starts) and all(s >= "2026-01-01T00:00:00Z" for s in starts)


# ---- services ------------------------------------------------------------------------------
def test_services_teams_positions_and_assignments(church):
    teams = scan(church, "/services/v2/teams")
    assert len(teams) == len(church.store.tables["teams"]) > 0
    total_seen = 0
    for team in teams:
        pos = get(church, f"/services/v2/teams/{team['id']}/team_positions", {"per_page": 100})
        assert pos["meta"]["parent"] == {"id": team["id"], "type": "Team"}
        per_position = 0
        for p in pos["data"]:
            assert p["relationships"]["team"]["data"]["id"] == team["id"]
            a = get(church, f"/services/v2/teams/{team['id']}/team_positions/{p['id']}"
                            "/person_team_position_assignments", {"per_page": 100})
            for x in a["data"]:
                assert x["relationships"]["team_position"]["data"]["id"] == p["id"]
            per_position += a["meta"]["total_count"]
        whole = get(church, f"/services/v2/teams/{team['id']}/person_team_position_assignments",
                    {"per_page": 100})
        assert whole["meta"]["total_count"] == per_position
        total_seen += per_position
    assert total_seen == len(church.store.tables["person_team_position_assignments"]) > 0


# ---- person mergers ------------------------------------------------------------------------
def test_person_mergers_list(sim, pco):
    keep, gone = person(sim.store, "Keep"), person(sim.store, "Gone")
    assert get(pco, "/people/v2/person_mergers")["data"] == []
    sim.store.merge_people(keep["id"], gone["id"])
    doc = get(pco, "/people/v2/person_mergers")
    assert doc["meta"]["total_count"] == 1
    m = doc["data"][0]
    assert m["type"] == "PersonMerger"
    assert m["attributes"]["person_to_keep_id"] == keep["id"]
    assert m["attributes"]["person_to_remove_id"] == gone["id"]
    assert get(pco, f"/people/v2/person_mergers/{m['id']}")["data"]["id"] == m["id"]


# ---- meta ----------------------------------------------------------------------------------
def test_list_meta_advertises_what_can_be_done(church):
    meta = get(church, "/people/v2/people", {"per_page": 1})["meta"]
    assert meta["parent"] == ORG
    assert {"updated_at", "created_at", "last_name"} <= set(meta["can_order_by"])
    assert {"updated_at", "remote_id", "status"} <= set(meta["can_query_by"])
    assert {"emails", "phone_numbers", "addresses", "households"} <= set(meta["can_include"])
    assert "can_filter" in meta
    for path, include in (("/people/v2/households", "people"), ("/groups/v2/groups", None),
                          ("/calendar/v2/event_instances", "event"),
                          ("/services/v2/teams", "team_positions")):
        meta = get(church, path, {"per_page": 1})["meta"]
        assert meta["parent"] == ORG
        assert meta["can_order_by"] and meta["can_query_by"]
        if include:
            assert include in meta["can_include"]


def test_everything_advertised_in_can_include_is_accepted(church):
    meta = get(church, "/people/v2/people", {"per_page": 1})["meta"]
    doc = get(church, "/people/v2/people",
              {"per_page": 3, "include": ",".join(meta["can_include"])})
    for rec in doc["data"]:
        assert set(meta["can_include"]) <= set(rec["relationships"])
        # to-one relationships stay a single identifier or null, never a list
        assert not isinstance(rec["relationships"]["primary_campus"]["data"], list)
        assert not isinstance(rec["relationships"]["organization"]["data"], list)
        assert rec["relationships"]["marital_status"]["data"] is None
        assert rec["relationships"]["field_data"]["data"] == []


# ---- 404s ----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/people/v2/people/999", "/people/v2/people/abc", "/people/v2/emails/1",
    "/people/v2/households/1", "/groups/v2/groups/1", "/calendar/v2/events/1",
    "/services/v2/teams/1", "/people/v2/people/999/emails",
    "/groups/v2/groups/1/memberships", "/people/v2/person_mergers/1",
])
def test_unknown_ids_404_with_pco_error_body(church, path):
    doc = get(church, path, status=404)
    err = doc["errors"][0]
    assert err["status"] == "404" and err["title"] == "Not Found" and err["detail"]


def test_records_under_the_wrong_parent_404(church):
    st = church.store
    hms = list(st.tables["household_memberships"].values())
    a = hms[0]
    other_hh = next(h for h in st.tables["households"] if h != a["household_id"])
    get(church, f"/people/v2/households/{a['household_id']}/household_memberships/{a['id']}")
    get(church, f"/people/v2/households/{other_hh}/household_memberships/{a['id']}",
        status=404)

    m = next(iter(st.tables["memberships"].values()))
    other_group = next(g for g in st.tables["groups"] if g != m["group_id"])
    get(church, f"/groups/v2/groups/{m['group_id']}/memberships/{m['id']}")
    get(church, f"/groups/v2/groups/{other_group}/memberships/{m['id']}", status=404)

    pos = next(iter(st.tables["team_positions"].values()))
    other_team = next(t for t in st.tables["teams"] if t != pos["team_id"])
    get(church, f"/services/v2/teams/{pos['team_id']}/team_positions/{pos['id']}")
    get(church, f"/services/v2/teams/{other_team}/team_positions/{pos['id']}", status=404)

    asg = next(iter(st.tables["person_team_position_assignments"].values()))
    other_pos = next(p for p in st.tables["team_positions"]
                     if p != asg["team_position_id"])
    ok = (f"/services/v2/teams/{asg['team_id']}/team_positions/{asg['team_position_id']}"
          f"/person_team_position_assignments/{asg['id']}")
    get(church, ok)
    get(church, ok.replace(f"/team_positions/{asg['team_position_id']}/",
                           f"/team_positions/{other_pos}/"), status=404)
