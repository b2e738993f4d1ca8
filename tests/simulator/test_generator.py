"""The simulator's data generator: deterministic, realistic in proportion, and consistent
(every foreign key resolves, every row carries every schema attribute)."""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timezone

import pytest

from pco_simulator.generator import (GENERATED_TABLES, REFERENCE_NOW, SHARED_ID_TABLES, _ts,
                                     generate)
from pco_simulator.schema import RESOURCES
from pco_simulator.store import FK_INDEXES, ID_BASES, Store, display_name, iso, parse_iso

N = 2000

# Foreign key -> table it points at, per generated table.
FOREIGN_KEYS = {
    "emails": {"person_id": "people"},
    "phone_numbers": {"person_id": "people"},
    "addresses": {"person_id": "people"},
    "households": {"primary_contact_id": "people"},
    "household_memberships": {"household_id": "households", "person_id": "people"},
    "groups": {"group_type_id": "group_types"},
    "memberships": {"group_id": "groups", "person_id": "people"},
    "event_instances": {"event_id": "events"},
    "team_positions": {"team_id": "teams"},
    "person_team_position_assignments": {"team_position_id": "team_positions",
                                         "person_id": "people", "team_id": "teams"},
}


def _make(people: int, seed: int = 1, **kw) -> tuple[Store, dict]:
    store = Store()
    counts = generate(store, people, seed, **kw)
    return store, counts


def _dump_text(store: Store) -> str:
    return json.dumps(store.dump())


@pytest.fixture(scope="module")
def church():
    return _make(N, 1)


@pytest.fixture(scope="module")
def tables(church):
    return church[0].tables


# ---- determinism -----------------------------------------------------------------------

def test_same_seed_gives_identical_data():
    a, _ = _make(600, 7)
    b, _ = _make(600, 7)
    assert _dump_text(a) == _dump_text(b)


def test_different_seed_gives_different_data():
    a, _ = _make(600, 7)
    b, _ = _make(600, 8)
    assert _dump_text(a) != _dump_text(b)


def test_default_now_is_fixed_reference_not_wall_clock():
    a, _ = _make(200, 3)
    b, _ = _make(200, 3, now=REFERENCE_NOW)
    assert _dump_text(a) == _dump_text(b)
    c, _ = _make(200, 3, now=datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert _dump_text(a) != _dump_text(c)


def test_timestamp_format_matches_store_iso():
    for sec in (0, 1_600_000_000, 1_793_534_400, 1_700_000_123):
        assert _ts(sec) == iso(datetime.fromtimestamp(sec, tz=timezone.utc))


# ---- shape -----------------------------------------------------------------------------

def test_counts_returned_match_store(church):
    store, counts = church
    assert set(counts) == set(GENERATED_TABLES)
    for table, n in counts.items():
        assert len(store.tables[table]) == n, table
    assert counts["people"] == N
    assert counts["groups"] == N // 40
    assert counts["events"] == N // 50
    assert counts["teams"] == N // 200
    assert counts["group_types"] == 5


def test_every_row_has_every_schema_attribute_and_string_id(tables):
    for table in GENERATED_TABLES:
        attrs = RESOURCES[table].attributes
        assert tables[table], table
        for rid, row in tables[table].items():
            assert isinstance(row["id"], str) and row["id"] == rid
            missing = [a for a in attrs if a not in row]
            assert not missing, (table, rid, missing)


def test_ids_count_up_from_bases_and_next_ids_consistent(church):
    store, counts = church
    for table in GENERATED_TABLES:
        if table in SHARED_ID_TABLES:  # a Services person has its People person's id
            assert set(store.tables[table]) <= set(store.tables["people"])
            continue
        ids = sorted(int(i) for i in store.tables[table])
        assert ids == list(range(ID_BASES[table] + 1, ID_BASES[table] + 1 + counts[table]))
        assert store.next_ids[table] == ids[-1]
    # A record inserted afterwards gets a fresh id (own store: the fixture is shared).
    small, small_counts = _make(50, 1)
    new = small.insert("people", {"first_name": "New", "last_name": "Person"}, emit=False)
    assert int(new["id"]) == ID_BASES["people"] + small_counts["people"] + 1


def test_every_foreign_key_resolves(tables):
    for table, fks in FOREIGN_KEYS.items():
        for row in tables[table].values():
            for fk, target in fks.items():
                assert row[fk] is not None, (table, row["id"], fk)
                assert isinstance(row[fk], str)
                assert row[fk] in tables[target], (table, row["id"], fk, row[fk])
    for a in tables["person_team_position_assignments"].values():
        assert tables["team_positions"][a["team_position_id"]]["team_id"] == a["team_id"]


def test_store_indexes_are_built(church):
    store, _ = church
    for table, fks in FK_INDEXES.items():
        if table not in GENERATED_TABLES or not store.tables[table]:
            continue
        for fk in fks:  # a row that has the key (a top-level folder has no parent)
            row = next((r for r in store.tables[table].values() if r.get(fk) is not None),
                       None)
            assert row is not None or table == "folders", (table, fk)
            if row is not None:
                assert row in store.children(table, fk, row[fk])


def test_timestamps_are_past_ordered_and_well_formed(tables):
    now = REFERENCE_NOW
    for table in GENERATED_TABLES:
        res = RESOURCES[table]
        for row in tables[table].values():
            for attr in res.datetime_attrs:
                value = row.get(attr)
                if value is None:
                    continue
                parse_iso(value)  # format check
                if attr in ("created_at", "updated_at", "inactivated_at", "archived_at",
                            "joined_at"):
                    assert parse_iso(value) < now, (table, row["id"], attr, value)
            if row.get("created_at") and row.get("updated_at"):
                assert row["updated_at"] >= row["created_at"], (table, row["id"])
    created = [parse_iso(p["created_at"]) for p in tables["people"].values()]
    assert (max(created) - min(created)).days > 5 * 365
    for table in ("emails", "phone_numbers", "addresses"):
        for row in tables[table].values():
            person = tables["people"][row["person_id"]]
            assert row["created_at"] >= person["created_at"], (table, row["id"])
            # Contact edits bump the person.
            assert person["updated_at"] >= row["updated_at"], (table, row["id"])
    for inst in tables["event_instances"].values():
        assert inst["ends_at"] > inst["starts_at"]
        assert inst["published_starts_at"] == inst["starts_at"]
        if inst["all_day_event"]:
            assert inst["starts_at"].endswith("T00:00:00Z")
    assert "updated_at" not in next(iter(tables["groups"].values()))


# ---- people ----------------------------------------------------------------------------

def test_people_attributes_are_realistic(tables):
    people = list(tables["people"].values())
    assert {p["gender"] for p in people} <= {"M", "F", None}
    assert Counter(p["gender"] for p in people)[None] > 0
    assert {p["membership"] for p in people} == {"Member", "Regular Attender", "Visitor", None}
    for p in people:
        assert p["name"] == display_name(p)
        assert p["remote_id"] is None and p["primary_campus_id"] is None
        assert p["site_administrator"] is False and p["accounting_administrator"] is False
        assert isinstance(p["passed_background_check"], bool)
        assert p["avatar"].startswith("https://")
        assert p["demographic_avatar_url"].startswith(
            "https://people.planningcenteronline.com/static/no_photo_thumbnail_")
        assert (p["status"] == "inactive") == (p["inactivated_at"] is not None)
        if p["inactivated_at"]:
            assert p["created_at"] <= p["inactivated_at"] <= p["updated_at"]
    no_birth = sum(p["birthdate"] is None for p in people) / len(people)
    assert 0.05 < no_birth < 0.16
    inactive = sum(p["status"] == "inactive" for p in people) / len(people)
    assert 0.02 < inactive < 0.09
    children = sum(p["child"] for p in people) / len(people)
    assert 0.15 < children < 0.45


def test_children_grades_agree_with_birthdates(tables):
    school_year = 2026  # REFERENCE_NOW is 2026-11-01
    graded = 0
    for p in tables["people"].values():
        if not p["child"]:
            assert p["grade"] is None and p["graduation_year"] is None
            continue
        if p["grade"] is None:
            continue
        graded += 1
        assert 0 <= p["grade"] <= 12
        assert p["graduation_year"] == school_year + 1 + 12 - p["grade"]
        if p["birthdate"]:
            born = date.fromisoformat(p["birthdate"])
            sept1 = date(school_year - p["grade"], 9, 1)
            age_then = sept1.year - born.year - ((sept1.month, sept1.day) < (born.month, born.day))
            assert age_then == 5, (p["id"], p["birthdate"], p["grade"])
    assert graded > 50


def test_people_with_only_a_first_name_exist(tables):
    only_first = [p for p in tables["people"].values() if p["last_name"] is None]
    assert 0.003 * N <= len(only_first) <= 0.03 * N
    assert all(p["first_name"] and p["name"] == (p["nickname"] or p["first_name"])
               for p in only_first)


def test_duplicate_people_exist_with_different_emails_and_households(tables):
    by_key = defaultdict(list)
    for p in tables["people"].values():
        if p["last_name"] and p["birthdate"]:
            by_key[(p["first_name"], p["last_name"], p["birthdate"])].append(p["id"])
    emails = defaultdict(set)
    for e in tables["emails"].values():
        emails[e["person_id"]].add(e["address"].strip().lower())
    household_of = {hm["person_id"]: hm["household_id"]
                    for hm in tables["household_memberships"].values()}
    dupes = [ids for ids in by_key.values() if len(ids) > 1]
    assert len(dupes) >= 0.003 * N
    deliberate = 0
    for ids in dupes:
        a, b = ids[0], ids[-1]
        if household_of.get(a) and household_of.get(a) == household_of.get(b):
            continue
        if emails[b] and emails[a] != emails[b]:
            deliberate += 1
    assert deliberate >= 0.003 * N


# ---- households ------------------------------------------------------------------------

def test_households_in_proportion(tables):
    n = len(tables["households"])
    assert N / 2.6 * 0.8 <= n <= N / 2.6 * 1.2


def test_households_members_and_primary_contacts(tables):
    members = defaultdict(list)
    seen_people = Counter()
    for hm in tables["household_memberships"].values():
        members[hm["household_id"]].append(hm["person_id"])
        seen_people[hm["person_id"]] += 1
        assert hm["pending"] is False
        assert hm["person_name"] == tables["people"][hm["person_id"]]["name"]
    assert max(seen_people.values()) == 1  # nobody in two households
    without = N - len(seen_people)
    assert 0.04 * N <= without <= 0.14 * N
    for hid, hh in tables["households"].items():
        assert members[hid], hid
        assert hh["primary_contact_id"] in members[hid]
        contact = tables["people"][hh["primary_contact_id"]]
        assert not contact["child"]
        assert hh["member_count"] == len(members[hid])
        assert hh["primary_contact_name"] == contact["name"]
        assert hh["name"] == f"{contact['last_name'] or contact['first_name']} Household"
        assert hh["avatar"] is None


def test_household_adults_share_one_address(tables):
    addr_of = defaultdict(list)
    for a in tables["addresses"].values():
        addr_of[a["person_id"]].append(a)
        assert a["country_code"] == "US" and a["country_name"] == "United States"
        assert re.fullmatch(r"[A-Za-z]{2}", a["state"])
        assert re.fullmatch(r"\d{5}(-\d{4})?", a["zip"])
    members = defaultdict(list)
    for hm in tables["household_memberships"].values():
        members[hm["household_id"]].append(tables["people"][hm["person_id"]])
    shared = 0
    for people in members.values():
        adults = [p for p in people if not p["child"]]
        keys = {(a["street_line_1"], a["city"], a["zip"])
                for p in adults for a in addr_of[p["id"]]}
        assert len(keys) <= 1
        if len(adults) > 1 and keys:
            shared += 1
        for p in people:
            if p["child"]:
                assert not addr_of[p["id"]]
    assert shared > 100
    assert any(a["street_line_2"] for a in tables["addresses"].values())


# ---- contacts --------------------------------------------------------------------------

def test_emails(tables):
    emails = list(tables["emails"].values())
    by_person = defaultdict(list)
    for e in emails:
        by_person[e["person_id"]].append(e)
        assert e["location"] in ("Home", "Work") and e["blocked"] is False
        assert "@" in e["address"]
    for rows in by_person.values():
        assert sum(e["primary"] for e in rows) == 1
    adults = [p for p in tables["people"].values() if not p["child"]]
    none = sum(not by_person[p["id"]] for p in adults) / len(adults)
    assert 0.08 < none < 0.25
    assert any(len(by_person[p["id"]]) == 2 for p in adults)
    kids = [p for p in tables["people"].values() if p["child"]]
    assert sum(bool(by_person[p["id"]]) for p in kids) < 0.2 * len(kids)


def test_spouses_share_an_email_address(tables):
    household_of = {hm["person_id"]: hm["household_id"]
                    for hm in tables["household_memberships"].values()}
    owners = defaultdict(set)
    for e in tables["emails"].values():
        owners[e["address"]].add(e["person_id"])
    shared = [ids for ids in owners.values() if len(ids) > 1]
    assert shared
    for ids in shared:  # only ever within one household
        assert len({household_of.get(i) for i in ids}) == 1


def test_messy_email_addresses_exist(tables):
    addresses = [e["address"] for e in tables["emails"].values()]
    mixed = [a for a in addresses if a.strip() == a and a != a.lower()]
    spaced = [a for a in addresses if a != a.strip()]
    assert mixed and spaced
    assert 0.01 < (len(mixed) + len(spaced)) / len(addresses) < 0.06
    # Apart from deliberate sharing, addresses are unique ignoring case and spaces.
    norm = Counter(a.strip().lower() for a in set(addresses))
    assert max(norm.values()) == 1


def test_phone_numbers(tables):
    phones = list(tables["phone_numbers"].values())
    patterns = Counter()
    for ph in phones:
        assert ph["location"] in ("Mobile", "Home", "Work")
        assert ph["country_code"] == "US" and ph["carrier"] is None
        if ph["e164"] is None:
            assert ph["national"] is None and ph["international"] is None
            continue
        assert re.fullmatch(r"\+1\d{10}", ph["e164"])
        digits = ph["e164"][2:]
        a, e, l = digits[:3], digits[3:6], digits[6:]
        assert ph["national"] == f"({a}) {e}-{l}"
        assert ph["international"] == f"+1 {a}-{e}-{l}"
        assert re.sub(r"\D", "", ph["number"].split(" ext.")[0]).endswith(digits)
        patterns[re.sub(r"\d", "9", ph["number"].split(" ext.")[0])] += 1
    assert {"(999) 999-9999", "999.999.9999", "9999999999", "+9 999 999 9999",
            "999-999-9999"} <= set(patterns)
    assert any(" ext. " in ph["number"] for ph in phones)
    assert any(ph["e164"] is None for ph in phones)
    by_person = defaultdict(list)
    for ph in phones:
        by_person[ph["person_id"]].append(ph)
    assert all(sum(p["primary"] for p in rows) == 1 for rows in by_person.values())


def test_junk_phone_numbers_appear_at_scale():
    store, _ = _make(6000, 2)
    junk = [ph for ph in store.tables["phone_numbers"].values()
            if not re.search(r"\d", ph["number"])]
    assert junk and all(ph["e164"] is None for ph in junk)


# ---- groups ----------------------------------------------------------------------------

def test_groups_and_memberships(tables):
    by_group = defaultdict(list)
    for m in tables["memberships"].values():
        by_group[m["group_id"]].append(m)
        person = tables["people"][m["person_id"]]
        assert m["role"] in ("leader", "member")
        assert m["account_center_identifier"] == person["id"]
        assert m["first_name"] == person["first_name"]
        assert m["last_name"] == person["last_name"]
        assert m["joined_at"] >= person["created_at"]
    for gid, g in tables["groups"].items():
        rows = by_group[gid]
        ids = [m["person_id"] for m in rows]
        assert len(ids) == len(set(ids)), gid  # nobody twice in a group
        assert 4 <= len(rows) <= 25
        assert g["memberships_count"] == len(rows)
        assert 1 <= sum(m["role"] == "leader" for m in rows) <= 2
        assert all(m["joined_at"] >= g["created_at"] for m in rows)
        if g["archived_at"]:
            assert g["archived_at"] > g["created_at"]
            assert all(m["joined_at"] <= g["archived_at"] for m in rows)
        assert g["enrollment_strategy"] in ("request_to_join", "open_signup", "closed")
        assert g["events_visibility"] in ("members", "public")
        assert g["location_type_preference"] in ("physical", "virtual")
        assert g["header_image"] is None or set(g["header_image"]) == {
            "thumbnail", "medium", "original"}
        assert g["widget_status"] == {} and g["chat_enabled"] is True
        assert g["public_church_center_web_url"].startswith("https://")
    archived = sum(g["archived_at"] is not None for g in tables["groups"].values())
    assert 0 < archived < len(tables["groups"]) * 0.3
    names = [g["name"] for g in tables["groups"].values()]
    assert len(set(names)) == len(names)
    members = [tables["people"][m["person_id"]] for m in tables["memberships"].values()]
    assert sum(not p["child"] for p in members) > 0.9 * len(members)


# ---- calendar and services -------------------------------------------------------------

def test_events_and_instances(tables):
    by_event = defaultdict(list)
    for inst in tables["event_instances"].values():
        by_event[inst["event_id"]].append(inst)
    for eid, ev in tables["events"].items():
        rows = by_event[eid]
        assert rows
        assert ev["approval_status"] == "A" and ev["percent_approved"] == 100
        recurrence = {r["recurrence"] for r in rows}
        assert len(recurrence) == 1
        if recurrence == {"None"}:
            assert len(rows) == 1
        else:
            assert 4 <= len(rows) <= 12
            assert recurrence <= {"Weekly", "Monthly"}
        for r in rows:
            assert r["name"] == ev["name"]
            assert r["created_at"] >= ev["created_at"] or r["created_at"] == ev["created_at"]
    assert any(r["all_day_event"] for r in tables["event_instances"].values())


def test_teams_positions_assignments(tables):
    by_team = defaultdict(list)
    for pos in tables["team_positions"].values():
        by_team[pos["team_id"]].append(pos)
        assert pos["tags"] == [] and pos["tag_groups"] == [] and pos["negative_tag_groups"] == []
    for tid, team in tables["teams"].items():
        assert 2 <= len(by_team[tid]) <= 5
        assert team["schedule_to"] == "plan" and team["default_status"] == "U"
        assert team["archived_at"] is None and team["deleted_at"] is None
    by_pos = defaultdict(list)
    for a in tables["person_team_position_assignments"].values():
        by_pos[a["team_position_id"]].append(a["person_id"])
        assert not tables["people"][a["person_id"]]["child"]
        assert a["schedule_preference"] in ("Every week", "Every other week", "Once a month")
        assert a["preferred_weeks"] == []
    for pid in tables["team_positions"]:
        ids = by_pos[pid]
        assert 2 <= len(ids) <= 10 and len(ids) == len(set(ids))
    names = [t["name"] for t in tables["teams"].values()]
    assert len(set(names)) == len(names)


def test_mutable_values_are_not_shared_between_rows(tables):
    groups = list(tables["groups"].values())
    assert groups[0]["widget_status"] is not groups[1]["widget_status"]
    positions = list(tables["team_positions"].values())
    assert positions[0]["tags"] is not positions[1]["tags"]


@pytest.mark.parametrize("people", [1, 5, 40])
def test_tiny_churches_still_have_everything(people):
    store, counts = _make(people, 1)
    assert counts["people"] == people
    for table in ("groups", "events", "teams"):
        assert counts[table] >= 3
    for table, fks in FOREIGN_KEYS.items():
        for row in store.tables[table].values():
            for fk, target in fks.items():
                assert row[fk] in store.tables[target]
