"""Family merge against real PostgreSQL: households become families with their members and
primary contact; local membership edits survive; re-runs write nothing."""
from __future__ import annotations

import json

from pipeline import merge_families, merge_people
from test_merge_people import person, row, stage

RUN = "run-1"


def household(pco_id, name, primary, members):
    """A Household resource as the extract stages it, members side-loaded under included."""
    return {
        "type": "Household", "id": pco_id,
        "attributes": {"name": name, "primary_contact_id": primary,
                       "member_count": len(members), "updated_at": "2026-01-01T00:00:00Z"},
        "relationships": {"people": {"data": [{"type": "Person", "id": m} for m in members]}},
        "links": {},
        "included": {"people": [{"type": "Person", "id": m, "attributes": {}} for m in members]},
    }


def stage_households(db, *records, run_id=RUN):
    for r in records:
        db.execute(
            "INSERT INTO pco_staging.households (run_id, pco_id, pco_updated_at, record) "
            "VALUES (%s, %s, now(), %s) ON CONFLICT (run_id, pco_id) DO UPDATE "
            "SET record = excluded.record", (run_id, r["id"], json.dumps(r)))
    db.commit()


def members(db, family_pco_id):
    return [p for (p,) in db.execute(
        "SELECT p.pco_id FROM church.family_members fm JOIN church.families f "
        "ON f.id = fm.family_id JOIN church.people p ON p.id = fm.person_id "
        "WHERE f.pco_id = %s ORDER BY 1", (family_pco_id,))]


def snapshot(db):
    return (db.execute("SELECT xmin::text, * FROM church.families ORDER BY id").fetchall(),
            db.execute("SELECT xmin::text, * FROM church.family_members ORDER BY 2, 3").fetchall(),
            db.execute("SELECT xmin::text, * FROM sync.agreed_families ORDER BY 2").fetchall())


def _lees(db, run_id=RUN):
    stage(db, person("p1", "Ann", "Lee"), person("p2", "Bob", "Lee", "1978-01-01"),
          person("p3", "Cy", "Lee", "2015-06-01"), run_id=run_id)
    merge_people(db, run_id)


def test_household_becomes_family_with_members_and_primary_contact_then_rerun_is_idempotent(db):
    _lees(db)
    stage_households(db, household("h1", "Lee Household", "p2", ["p1", "p2", "p3"]))
    counts = merge_families(db, RUN)
    assert counts == {"created": 1, "updated": 0, "unchanged": 0, "needs_review": 0,
                      "conflicts": 0, "removed": 0}
    name, contact = row(db, "SELECT f.name, p.pco_id FROM church.families f "
                            "JOIN church.people p ON p.id = f.primary_contact_id")
    assert (name, contact) == ("Lee Household", "p2")
    assert members(db, "h1") == ["p1", "p2", "p3"]

    before = snapshot(db)
    assert merge_families(db, RUN) == {"created": 0, "updated": 0, "unchanged": 1,
                                       "needs_review": 0, "conflicts": 0, "removed": 0}
    assert snapshot(db) == before


def test_pco_membership_and_name_changes_are_taken(db):
    _lees(db)
    stage_households(db, household("h1", "Lee Household", "p2", ["p1", "p2", "p3"]))
    merge_families(db, RUN)
    stage_households(db, household("h1", "The Lees", "p1", ["p1", "p2"]), run_id="run-2")
    counts = merge_families(db, "run-2")
    assert counts["updated"] == 1
    assert members(db, "h1") == ["p1", "p2"]
    assert row(db, "SELECT f.name, p.pco_id FROM church.families f "
                   "JOIN church.people p ON p.id = f.primary_contact_id") == ("The Lees", "p1")


def test_local_membership_edits_are_kept(db):
    _lees(db)
    stage_households(db, household("h1", "Lee Household", "p2", ["p1", "p2"]))
    merge_families(db, RUN)
    fid = row(db, "SELECT id FROM church.families WHERE pco_id = 'h1'")[0]
    # staff add Cy (a linked person) and an unlinked local person, and remove Ann
    db.execute("INSERT INTO church.family_members (family_id, person_id) "
               "SELECT %s, id FROM church.people WHERE pco_id = 'p3'", (fid,))
    local = db.execute("INSERT INTO church.people (first_name, last_name) VALUES ('Dee', 'Lee') "
                       "RETURNING id").fetchone()[0]
    db.execute("INSERT INTO church.family_members VALUES (%s, %s)", (fid, local))
    db.execute("DELETE FROM church.family_members WHERE family_id = %s AND person_id = "
               "(SELECT id FROM church.people WHERE pco_id = 'p1')", (fid,))
    db.execute("UPDATE church.families SET name = 'Lee Family' WHERE id = %s", (fid,))
    db.commit()
    stage_households(db, household("h1", "Lee Household", "p2", ["p1", "p2"]), run_id="run-2")
    counts = merge_families(db, "run-2")
    assert counts["conflicts"] == 0
    assert members(db, "h1") == ["p2", "p3", None]
    assert row(db, "SELECT name FROM church.families") == ("Lee Family",)


def test_both_sides_renamed_differently_is_a_conflict(db):
    _lees(db)
    stage_households(db, household("h1", "Lee Household", "p2", ["p1", "p2"]))
    merge_families(db, RUN)
    db.execute("UPDATE church.families SET name = 'Lee Family'")
    db.commit()
    stage_households(db, household("h1", "The Lees", "p2", ["p1", "p2"]), run_id="run-2")
    assert merge_families(db, "run-2")["conflicts"] == 1
    assert row(db, "SELECT name FROM church.families") == ("Lee Family",)
    assert row(db, "SELECT entity, field, base_value, pco_value, local_value "
                   "FROM sync.conflicts") == (
        "family", "name", "Lee Household", "The Lees", "Lee Family")


def test_existing_local_family_is_linked_through_its_primary_contact(db):
    _lees(db)
    fid = db.execute("INSERT INTO church.families (name) VALUES ('Lees') RETURNING id").fetchone()[0]
    db.execute("INSERT INTO church.family_members SELECT %s, id FROM church.people "
               "WHERE pco_id IN ('p1', 'p2')", (fid,))
    db.commit()
    stage_households(db, household("h1", "Lee Household", "p2", ["p1", "p2", "p3"]))
    counts = merge_families(db, RUN)
    assert counts["created"] == 0 and counts["updated"] == 1
    assert row(db, "SELECT count(*), min(pco_id) FROM church.families") == (1, "h1")
    assert members(db, "h1") == ["p1", "p2", "p3"]


def test_quarantined_households_are_skipped(db):
    _lees(db)
    stage_households(db, household("h1", "Lee Household", "p2", ["p1", "p2"]),
                     household("h2", "Bad", "p3", ["p3"]))
    db.execute("INSERT INTO sync.quarantine (run_id, stream, pco_id, check_name, payload) "
               "VALUES (%s, 'households', 'h2', 'no name', '{}')", (RUN,))
    db.commit()
    assert merge_families(db, RUN)["created"] == 1
    assert [p for (p,) in db.execute("SELECT pco_id FROM church.families")] == ["h1"]


def test_households_as_the_simulator_serves_them(db, seeded_sim):
    from pco_sync.pco.client import PcoClient, resolve

    client = PcoClient(seeded_sim.url, *seeded_sim.auth)
    people = [dict(rec, included={k: resolve(rec, inc, k)
                                  for k in ("emails", "phone_numbers", "addresses")})
              for rec, inc in client.records("/people/v2/people",
                                             {"include": "emails,phone_numbers,addresses"})]
    stage(db, *people)
    merge_people(db, RUN)
    houses = [dict(rec, included={"people": resolve(rec, inc, "people")})
              for rec, inc in client.records("/people/v2/households", {"include": "people"})]
    stage_households(db, *houses)
    counts = merge_families(db, RUN)
    assert counts["created"] == len(houses) > 0
    expected = sum(len(h["included"]["people"]) for h in houses)
    assert row(db, "SELECT count(*) FROM church.family_members")[0] == expected
    assert row(db, "SELECT count(*) FROM church.families WHERE primary_contact_id IS NULL")[0] \
        == sum(1 for h in houses if not h["attributes"].get("primary_contact_id"))
    assert merge_families(db, RUN)["unchanged"] == len(houses)
