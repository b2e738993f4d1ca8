"""Pushing families to PCO households against the simulator and real PostgreSQL: create
with members and primary contact, later members as household memberships (an existing
one counts as done), removals, the family address, no echo, exactly once after a crash."""
from __future__ import annotations

import pytest

from push_helpers import DEFAULT, client_for, local_person, pull, value, writes, push_families, push_people
from pco_sync.push.settings import PushSettings

RUN = "run-1"


def family(db, name, primary, *members) -> int:
    fid = db.execute("INSERT INTO church.families (name, primary_contact_id) VALUES (%s, %s) "
                     "RETURNING id", (name, primary)).fetchone()[0]
    for pid in (primary, *members):
        db.execute("INSERT INTO church.family_members (family_id, person_id) VALUES (%s, %s)",
                   (fid, pid))
    db.commit()
    return fid


def pco_id_of(db, table, local_id):
    return value(db, f"SELECT pco_id FROM church.{table} WHERE id = %s", local_id)


def household_members(sim, hid) -> set[str]:
    return {m["person_id"] for m in sim.store.children("household_memberships", "household_id", hid)}


@pytest.fixture
def lees(db, sim):
    """Ann and Bob Lee, pushed as people; their family not yet."""
    ann = local_person(db, "Ann", "Lee", email="ann@example.org")
    bob = local_person(db, "Bob", "Lee", email="bob@example.org")
    fid = family(db, "Lee Family", ann, bob)
    client = client_for(sim)
    push_people(db, client, RUN, DEFAULT)
    return client, fid, ann, bob


def test_household_created_with_members_and_primary_contact(db, db_url, sim, lees):
    client, fid, ann, bob = lees
    counts = push_families(db, client, RUN)
    assert (counts["created"], counts["failed"], counts["requests"]) == (1, 0, 1)
    hid = pco_id_of(db, "families", fid)
    hh = sim.store.get("households", hid)
    assert hh["name"] == "Lee Family"
    assert hh["primary_contact_id"] == pco_id_of(db, "people", ann)
    assert household_members(sim, hid) == {pco_id_of(db, "people", ann), pco_id_of(db, "people", bob)}
    assert value(db, "SELECT count(*) FROM sync.agreed_family_members WHERE family_id = %s", fid) == 2
    assert push_families(db, client, "run-2")["requests"] == 0

    # the next pull (people and the household snapshot) finds nothing changed: no echo
    counts = pull(client, db, db_url, "pull-1", ("people", "households"))
    assert counts["families"]["unchanged"] == 1 and counts["families"]["created"] == 0
    assert counts["families"]["updated"] == 0 and counts["people"]["unchanged"] == 2
    assert value(db, "SELECT count(*) FROM church.families") == 1


def test_unnamed_family_takes_pcos_household_name(db, sim, lees):
    client, fid, ann, _ = lees
    db.execute("UPDATE church.families SET name = NULL WHERE id = %s", (fid,))
    db.commit()
    push_families(db, client, RUN)
    assert value(db, "SELECT name FROM church.families WHERE id = %s", fid) == "Lee Household"
    assert value(db, "SELECT fields ->> 'name' FROM sync.agreed_families") == "Lee Household"
    assert push_families(db, client, "run-2")["requests"] == 0


def test_members_added_later_and_an_existing_membership_counts_as_done(db, sim, lees):
    client, fid, ann, bob = lees
    push_families(db, client, RUN)
    hid = pco_id_of(db, "families", fid)
    cy = local_person(db, "Cy", "Lee", email="cy@example.org")
    di = local_person(db, "Di", "Lee", email="di@example.org")
    push_people(db, client, "run-2", DEFAULT)
    sim.store.add_household_member(hid, pco_id_of(db, "people", di))  # already there in PCO
    for pid in (cy, di):
        db.execute("INSERT INTO church.family_members VALUES (%s, %s)", (fid, pid))
    db.commit()
    counts = push_families(db, client, "run-2")
    assert (counts["updated"], counts["failed"]) == (1, 0)
    posts = [w for w in writes(sim) if w[1].endswith("/household_memberships")]
    assert sorted(status for _, _, status in posts) == [201, 422]
    assert household_members(sim, hid) == {pco_id_of(db, "people", p) for p in (ann, bob, cy, di)}
    assert value(db, "SELECT count(*) FROM sync.agreed_family_members") == 4
    assert push_families(db, client, "run-3")["requests"] == 0


def test_member_removed_locally_leaves_the_household(db, sim, lees):
    client, fid, ann, bob = lees
    push_families(db, client, RUN)
    hid = pco_id_of(db, "families", fid)
    db.execute("DELETE FROM church.family_members WHERE person_id = %s", (bob,))
    db.commit()
    counts = push_families(db, client, "run-2")
    assert counts["updated"] == 1 and counts["requests"] == 2  # find the membership, delete it
    assert household_members(sim, hid) == {pco_id_of(db, "people", ann)}
    assert push_families(db, client, "run-3")["requests"] == 0


def test_name_and_primary_contact_changes_are_patched(db, sim, lees):
    client, fid, ann, bob = lees
    push_families(db, client, RUN)
    db.execute("UPDATE church.families SET name = 'The Lees', primary_contact_id = %s "
               "WHERE id = %s", (bob, fid))
    db.commit()
    sent = []
    push_families(db, client, "run-2", after_send=lambda op, r: sent.append(op.body))
    assert [b["data"]["attributes"] for b in sent] == [
        {"name": "The Lees", "primary_contact_id": pco_id_of(db, "people", bob)}]
    hh = sim.store.get("households", pco_id_of(db, "families", fid))
    assert (hh["name"], hh["primary_contact_id"]) == ("The Lees", pco_id_of(db, "people", bob))


def test_crash_after_household_create_does_not_duplicate_it(db, sim, lees):
    client, fid, ann, _ = lees

    def crash(op, result):
        raise RuntimeError("worker died")
    with pytest.raises(RuntimeError):
        push_families(db, client, RUN, after_send=crash)
    db.rollback()
    assert len(sim.store.tables["households"]) == 1 and pco_id_of(db, "families", fid) is None
    counts = push_families(db, client, "run-2")
    assert counts["created"] == 1 and len(sim.store.tables["households"]) == 1
    assert pco_id_of(db, "families", fid) == next(iter(sim.store.tables["households"]))


def test_family_waits_for_its_primary_contact(db, sim):
    no_email = local_person(db, "No", "Email", email=None)  # not pushed: no email
    fid = family(db, "Email Family", no_email)
    client = client_for(sim)
    push_people(db, client, RUN, DEFAULT)
    counts = push_families(db, client, RUN)
    assert counts["skipped"] == 1 and counts["skipped_reasons"] == {"primary contact not in PCO": 1}
    assert counts["requests"] == 0 and pco_id_of(db, "families", fid) is None


def test_family_address_goes_to_the_primary_contacts_address(db, sim):
    addr = {"street_line_1": "9 Elm St", "city": "Salem", "state": "OR", "zip": "97301",
            "is_primary": True, "location": "Home"}
    ann = local_person(db, "Ann", "Lee", addresses=[addr])
    bob = local_person(db, "Bob", "Lee", email="bob@example.org",
                       addresses=[{**addr, "street_line_1": "1 Work Rd", "location": "Work"}])
    family(db, "Lee Family", ann, bob)
    assert value(db, "SELECT street_line_1 FROM church.family_addresses") == "9 Elm St"
    settings = PushSettings.parse({"fields": '["emails", "family_address"]'})
    client = client_for(sim)
    push_people(db, client, RUN, settings)
    push_families(db, client, RUN)
    ann_addresses = sim.store.children("addresses", "person_id", pco_id_of(db, "people", ann))
    assert [a["street_line_1"] for a in ann_addresses] == ["9 Elm St"]
    assert sim.store.children("addresses", "person_id", pco_id_of(db, "people", bob)) == []


def test_dry_run_lists_the_household_create_and_writes_nothing(db, sim, lees):
    client, fid, ann, bob = lees
    before = len(sim.sim.requests)
    counts = push_families(db, client, RUN, dry_run=True)
    [op] = counts["operations"]
    assert (op["method"], op["path"]) == ("POST", "/people/v2/households")
    rel = op["body"]["data"]["relationships"]
    assert rel["primary_contact"]["data"]["id"] == pco_id_of(db, "people", ann)
    assert len(rel["people"]["data"]) == 2
    assert len(sim.sim.requests) == before and sim.store.tables["households"] == {}
    assert pco_id_of(db, "families", fid) is None
    assert value(db, "SELECT count(*) FROM sync.push_pending") == 0
