"""People merge against real PostgreSQL: matching ladder, three-way field merge, contacts,
match review, unchanged-is-not-written. Staging rows are written directly, shaped like
PCO's Person resources with their side-loads under "included"."""
from __future__ import annotations

import json

import pytest

from pipeline import merge_people

RUN = "run-1"


def person(pco_id, first="Ann", last="Lee", birthdate="1980-04-02", *, emails=(), phones=(),
           addresses=(), **attrs):
    """A Person resource as the extract stages it. emails: (pco_id, address) pairs;
    phones: (pco_id, number); addresses: (pco_id, attributes dict)."""
    attributes = {"first_name": first, "last_name": last, "birthdate": birthdate,
                  "nickname": None, "middle_name": None, "gender": "F", "status": "active",
                  "membership": "Member", "child": False, "name": f"{first} {last}",
                  "updated_at": "2026-01-01T00:00:00Z", **attrs}
    return {
        "type": "Person", "id": pco_id, "attributes": attributes,
        "relationships": {}, "links": {"self": f"https://pco.test/people/v2/people/{pco_id}"},
        "included": {
            "emails": [{"type": "Email", "id": i, "attributes": {
                "address": a, "location": "Home", "primary": n == 0, "blocked": False}}
                for n, (i, a) in enumerate(emails)],
            "phone_numbers": [{"type": "PhoneNumber", "id": i, "attributes": {
                "number": num, "location": "Mobile", "primary": n == 0}}
                for n, (i, num) in enumerate(phones)],
            "addresses": [{"type": "Address", "id": i, "attributes": {
                "location": "Home", "primary": n == 0, **a}}
                for n, (i, a) in enumerate(addresses)],
        },
    }


def stage(db, *records, run_id=RUN):
    for r in records:
        db.execute(
            "INSERT INTO pco_staging.people (run_id, pco_id, pco_updated_at, record) "
            "VALUES (%s, %s, now(), %s) ON CONFLICT (run_id, pco_id) DO UPDATE "
            "SET record = excluded.record", (run_id, r["id"], json.dumps(r)))
    db.commit()


def local_person(db, first="Ann", last="Lee", birthdate="1980-04-02", *, pco_id=None,
                 email=None, **cols):
    cols = {"first_name": first, "last_name": last, "birthdate": birthdate,
            "pco_id": pco_id, **cols}
    names = ", ".join(cols)
    pid = db.execute(f"INSERT INTO church.people ({names}) VALUES "
                     f"({', '.join(['%s'] * len(cols))}) RETURNING id",
                     list(cols.values())).fetchone()[0]
    if email:
        db.execute("INSERT INTO church.emails (person_id, address) VALUES (%s, %s)",
                   (pid, email))
    db.commit()
    return pid


def row(db, query, *args):
    return db.execute(query, args).fetchone()


def snapshot(db):
    """Every church row with its xmin: equal snapshots mean nothing was written."""
    out = {}
    for t in ("people", "emails", "phone_numbers", "addresses"):
        out[t] = db.execute(f"SELECT xmin::text, * FROM church.{t} ORDER BY id").fetchall()
    out["agreed"] = db.execute(
        "SELECT xmin::text, person_id FROM sync.agreed_people ORDER BY 2").fetchall()
    out["agreed_contacts"] = db.execute(
        "SELECT xmin::text, kind, pco_id FROM sync.agreed_contacts ORDER BY 2, 3").fetchall()
    return out


def test_new_person_created_with_contacts_then_rerun_writes_nothing(db):
    stage(db, person("p1", emails=[("e1", "ann@example.org")],
                     phones=[("t1", "(555) 010-2000")],
                     addresses=[("a1", {"street_line_1": "1 Main St", "street_line_2": None,
                                        "city": "Springfield", "state": "IL",
                                        "zip": "62701", "country_code": "US"})]))
    counts = merge_people(db, RUN)
    assert counts == {"created": 1, "updated": 0, "unchanged": 0, "needs_review": 0,
                      "conflicts": 0, "removed": 0}
    pid, first, birthdate = row(db, "SELECT id, first_name, birthdate::text FROM church.people "
                                    "WHERE pco_id = 'p1'")
    assert (first, birthdate) == ("Ann", "1980-04-02")
    assert row(db, "SELECT person_id, address, is_primary, pco_id FROM church.emails") == (
        pid, "ann@example.org", True, "e1")
    assert row(db, "SELECT number, pco_id FROM church.phone_numbers") == ("(555) 010-2000", "t1")
    assert row(db, "SELECT street_line_1, city, zip FROM church.addresses") == (
        "1 Main St", "Springfield", "62701")
    assert row(db, "SELECT first_name FROM sync.agreed_people WHERE person_id = %s", pid) == ("Ann",)

    before = snapshot(db)
    again = merge_people(db, RUN)
    assert again == {"created": 0, "updated": 0, "unchanged": 1, "needs_review": 0,
                     "conflicts": 0, "removed": 0}
    assert snapshot(db) == before


def test_old_street_address_is_split_into_lines(db):
    stage(db, person("p1", addresses=[("a1", {"street": "1 Main St\nApt 2", "city": "X"})]))
    merge_people(db, RUN)
    assert row(db, "SELECT street_line_1, street_line_2, city FROM church.addresses") == (
        "1 Main St", "Apt 2", "X")


def test_match_by_email_ignores_case_and_spaces(db):
    # the first names agree once normalised (the email rung needs that); the last names may differ
    pid = local_person(db, " ANN ", "Lee-Smith", None, email="  Ann@Example.ORG ")
    stage(db, person("p1", emails=[("e1", "ann@example.org")]))
    counts = merge_people(db, RUN)
    assert counts["created"] == 0 and counts["updated"] == 1
    assert row(db, "SELECT count(*) FROM church.people")[0] == 1
    assert row(db, "SELECT pco_id FROM church.people WHERE id = %s", pid) == ("p1",)
    # the local email is linked to PCO's (its spelling taken), not duplicated
    assert db.execute("SELECT address, pco_id FROM church.emails").fetchall() == [
        ("ann@example.org", "e1")]
    # nothing agreed yet: the blank birthdate is filled, differing names are conflicts
    assert row(db, "SELECT birthdate::text FROM church.people") == ("1980-04-02",)
    assert db.execute("SELECT field, pco_value, local_value FROM sync.conflicts "
                      "ORDER BY field").fetchall() == [
        ("first_name", "Ann", " ANN "), ("last_name", "Lee", "Lee-Smith")]
    assert counts["conflicts"] == 2


def test_match_by_name_and_birthdate(db):
    pid = local_person(db, "  ann ", "LEE", "1980-04-02")
    local_person(db, "Ann", "Lee", "1999-09-09")  # same name, other birthdate
    stage(db, person("p1", "Ann", "Lee", "1980-04-02"))
    merge_people(db, RUN)
    assert row(db, "SELECT pco_id FROM church.people WHERE id = %s", pid) == ("p1",)
    assert row(db, "SELECT count(*) FROM church.people WHERE pco_id IS NULL")[0] == 1


def test_two_local_candidates_go_to_review_and_nothing_is_linked(db):
    a = local_person(db, "Ann", "Lee", "1980-04-02")
    b = local_person(db, "ann", "lee", "1980-04-02")
    stage(db, person("p1"))
    counts = merge_people(db, RUN)
    assert counts["needs_review"] == 1 and counts["created"] == 0
    assert row(db, "SELECT count(*) FROM church.people WHERE pco_id IS NOT NULL")[0] == 0
    assert row(db, "SELECT reason, candidates FROM sync.match_review WHERE pco_id = 'p1'") == (
        "several local candidates", [a, b])
    merge_people(db, RUN)  # re-run: still one open review row
    assert row(db, "SELECT count(*) FROM sync.match_review")[0] == 1


def test_shared_family_email_is_told_apart_by_name_and_birthdate(db):
    ann = local_person(db, "Ann", "Lee", "1980-04-02", email="lees@example.org")
    bob = local_person(db, "Bob", "Lee", "1978-01-01", email="lees@example.org")
    stage(db, person("p1", "Ann", "Lee", "1980-04-02", emails=[("e1", "lees@example.org")]),
          person("p2", "Bob", "Lee", "1978-01-01", emails=[("e2", "lees@example.org")]))
    counts = merge_people(db, RUN)
    assert counts["needs_review"] == 0
    assert db.execute("SELECT id, pco_id FROM church.people ORDER BY id").fetchall() == [
        (ann, "p1"), (bob, "p2")]


def test_candidate_already_linked_to_another_pco_person_goes_to_review(db):
    pid = local_person(db, pco_id="p-other", email="ann@example.org")
    stage(db, person("p1", "Ann", "Lee", emails=[("e1", "ann@example.org")]))
    counts = merge_people(db, RUN)
    assert counts["needs_review"] == 1 and counts["created"] == 0
    assert row(db, "SELECT pco_id FROM church.people WHERE id = %s", pid) == ("p-other",)
    assert row(db, "SELECT reason, candidates FROM sync.match_review") == (
        "candidate already linked to another PCO person", [pid])
    assert row(db, "SELECT count(*) FROM church.people")[0] == 1


def test_spouse_sharing_an_email_is_not_linked_by_it_but_goes_to_review(db):
    ann = local_person(db, "Ann", "Lee", None, email="lees@example.org")
    stage(db, person("p1", "Ann", "Lee", emails=[("e1", "lees@example.org")]),
          person("p2", "Bob", "Lee", "1978-01-01", emails=[("e2", "lees@example.org")]))
    counts = merge_people(db, RUN)
    assert (counts["updated"], counts["needs_review"], counts["created"]) == (1, 1, 0)
    assert db.execute("SELECT id, pco_id FROM church.people").fetchall() == [(ann, "p1")]
    assert db.execute("SELECT pco_id, reason, candidates FROM sync.match_review").fetchall() == [
        ("p2", "email matches a local person of another name", [ann])]
    merge_people(db, RUN)  # re-run: still the one open review row, Bob still not created
    assert row(db, "SELECT count(*) FROM sync.match_review WHERE resolved_at IS NULL")[0] == 1
    assert row(db, "SELECT count(*) FROM church.people")[0] == 1


def test_an_email_held_by_another_name_still_lets_name_and_birthdate_link(db):
    local_person(db, "Ann", "Lee", None, email="lees@example.org")
    bob = local_person(db, "Bob", "Lee", "1978-01-01")
    stage(db, person("p2", "Bob", "Lee", "1978-01-01", emails=[("e2", "lees@example.org")]))
    assert merge_people(db, RUN)["needs_review"] == 0
    assert db.execute("SELECT id FROM church.people WHERE pco_id = 'p2'").fetchall() == [(bob,)]


@pytest.mark.parametrize("local, pco, links", [
    (("Bob", "Lee", None), ("Robert", "Lee", "Bob"), True),       # local name = PCO nickname
    (("Robert", "Lee", "Bob"), ("bob", "LEE", None), True),       # PCO name = local nickname
    (("Rob", "Lee", "Bobby"), ("Robert", "Lee", "bobby"), True),  # the same nickname
    (("J.", "Smith", None), ("John", "Smith", None), True),       # an initial
    (("John", "Smith", None), ("j", "Smith", None), True),
    (("Bob", "Ray", None), ("Robert", "Lee", "Bob"), False),      # nickname, other last name
    (("J.", "Ray", None), ("John", "Smith", None), False),        # initial, other last name
    (("Kate", "Ray", None), ("Katherine", "Ray", None), False),   # no rule says Kate is Katherine
    (("Jo", "Smith", None), ("John", "Smith", None), False),      # a prefix is not an initial
])
def test_email_rung_nickname_and_initial_rule(db, local, pco, links):
    first, last, nickname = local
    pid = local_person(db, first, last, None, email="shared@example.org", nickname=nickname)
    first, last, nickname = pco
    stage(db, person("p1", first, last, emails=[("e1", "shared@example.org")],
                     nickname=nickname))
    counts = merge_people(db, RUN)
    linked = row(db, "SELECT pco_id FROM church.people WHERE id = %s", pid)[0]
    if links:
        assert (linked, counts["needs_review"]) == ("p1", 0)
    else:
        assert (linked, counts["needs_review"], counts["created"]) == (None, 1, 0)
        assert row(db, "SELECT reason, candidates FROM sync.match_review") == (
            "email matches a local person of another name", [pid])


def _linked(db):
    """A person merged once from PCO (so an agreed state exists)."""
    stage(db, person("p1", "Ann", "Lee", emails=[("e1", "ann@example.org")]))
    merge_people(db, RUN)
    return row(db, "SELECT id FROM church.people WHERE pco_id = 'p1'")[0]


def test_pco_only_change_is_taken(db):
    pid = _linked(db)
    stage(db, person("p1", "Ann", "Leigh", emails=[("e1", "ann.leigh@example.org")]),
          run_id="run-2")
    counts = merge_people(db, "run-2")
    assert counts["updated"] == 1 and counts["conflicts"] == 0
    assert row(db, "SELECT last_name FROM church.people WHERE id = %s", pid) == ("Leigh",)
    assert row(db, "SELECT last_name FROM sync.agreed_people WHERE person_id = %s", pid) == (
        "Leigh",)
    assert row(db, "SELECT address FROM church.emails") == ("ann.leigh@example.org",)


def test_local_only_change_is_kept(db):
    pid = _linked(db)
    db.execute("UPDATE church.people SET nickname = 'Annie' WHERE id = %s", (pid,))
    db.commit()
    stage(db, person("p1", "Ann", "Lee", emails=[("e1", "ann@example.org")]), run_id="run-2")
    before = snapshot(db)
    counts = merge_people(db, "run-2")
    assert counts == {"created": 0, "updated": 0, "unchanged": 1, "needs_review": 0,
                      "conflicts": 0, "removed": 0}
    assert row(db, "SELECT nickname FROM church.people WHERE id = %s", pid) == ("Annie",)
    # agreed stays at the old value, so the push step sees a local change to send
    assert row(db, "SELECT nickname FROM sync.agreed_people WHERE person_id = %s", pid) == (None,)
    assert snapshot(db) == before


def test_both_changed_differently_is_a_conflict_and_local_stays(db):
    pid = _linked(db)
    db.execute("UPDATE church.people SET last_name = 'Lee-Local' WHERE id = %s", (pid,))
    db.commit()
    stage(db, person("p1", "Ann", "Lee-PCO", emails=[("e1", "ann@example.org")]),
          run_id="run-2")
    counts = merge_people(db, "run-2")
    assert counts["conflicts"] == 1
    assert row(db, "SELECT last_name FROM church.people WHERE id = %s", pid) == ("Lee-Local",)
    assert row(db, "SELECT entity, local_id, pco_id, field, base_value, pco_value, local_value, "
                   "run_id FROM sync.conflicts WHERE resolved_at IS NULL") == (
        "person", pid, "p1", "last_name", "Lee", "Lee-PCO", "Lee-Local", "run-2")
    merge_people(db, "run-2")  # re-run: the same one open conflict
    assert row(db, "SELECT count(*) FROM sync.conflicts")[0] == 1
    # local staff take PCO's value: the conflict is over and agreed moves
    db.execute("UPDATE church.people SET last_name = 'Lee-PCO' WHERE id = %s", (pid,))
    db.commit()
    assert merge_people(db, "run-2")["conflicts"] == 0
    assert row(db, "SELECT count(*) FROM sync.conflicts WHERE resolved_at IS NULL")[0] == 0
    assert row(db, "SELECT last_name FROM sync.agreed_people WHERE person_id = %s", pid) == (
        "Lee-PCO",)


def test_both_changed_to_the_same_value_is_no_conflict(db):
    pid = _linked(db)
    db.execute("UPDATE church.people SET last_name = 'Leigh' WHERE id = %s", (pid,))
    db.commit()
    stage(db, person("p1", "Ann", "Leigh", emails=[("e1", "ann@example.org")]),
          run_id="run-2")
    counts = merge_people(db, "run-2")
    assert counts["conflicts"] == 0 and counts["unchanged"] == 1
    assert row(db, "SELECT count(*) FROM sync.conflicts")[0] == 0
    assert row(db, "SELECT last_name FROM sync.agreed_people WHERE person_id = %s", pid) == (
        "Leigh",)


def test_contacts_pco_deletion_removes_unchanged_local_copy_and_keeps_local_additions(db):
    pid = _linked(db)
    db.execute("INSERT INTO church.emails (person_id, address) VALUES (%s, 'mine@example.org')",
               (pid,))
    db.commit()
    stage(db, person("p1", "Ann", "Lee", emails=[]), run_id="run-2")
    merge_people(db, "run-2")
    assert db.execute("SELECT address, pco_id FROM church.emails").fetchall() == [
        ("mine@example.org", None)]


def test_quarantined_staging_rows_are_skipped(db):
    stage(db, person("p1"), person("p2", "Bob", "Ray"))
    db.execute("INSERT INTO sync.quarantine (run_id, stream, pco_id, check_name, payload) "
               "VALUES (%s, 'people', 'p2', 'impossible birthdate', '{}')", (RUN,))
    db.commit()
    counts = merge_people(db, RUN)
    assert counts["created"] == 1
    assert db.execute("SELECT pco_id FROM church.people").fetchall() == [("p1",)]


def test_a_quarantined_contact_is_left_out_and_its_local_copy_kept(db):
    stage(db, person("p1", "Ann", "Lee", emails=[("e1", "ann@example.org")],
                     phones=[("t1", "555 0100")]))
    merge_people(db, RUN)
    pid = row(db, "SELECT id FROM church.people WHERE pco_id = 'p1'")[0]
    # PCO: a new email address, the number turned junk, a second junk number
    stage(db, person("p1", "Ann", "Lee", emails=[("e1", "ann.lee@example.org")],
                     phones=[("t1", "xxx-xxx-xxxx"), ("t2", "n/a")]), run_id="run-2")
    db.execute("INSERT INTO sync.quarantine (run_id, stream, pco_id, contact_kind, contact_id, "
               "check_name, payload) VALUES ('run-2', 'people', 'p1', 'phone_number', 't1', "
               "'phone_has_digits', '{}'), ('run-2', 'people', 'p1', 'phone_number', 't2', "
               "'phone_has_digits', '{}')")
    db.commit()
    counts = merge_people(db, "run-2")
    assert (counts["updated"], counts["conflicts"]) == (1, 0)
    assert row(db, "SELECT address FROM church.emails WHERE person_id = %s", pid) == (
        "ann.lee@example.org",)
    assert db.execute("SELECT number, pco_id FROM church.phone_numbers").fetchall() == [
        ("555 0100", "t1")]  # neither deleted nor overwritten; t2 not taken
    # deleted locally meanwhile: the agreement stays, so the push can still delete it in PCO
    db.execute("DELETE FROM church.phone_numbers")
    db.commit()
    merge_people(db, "run-2")
    assert db.execute("SELECT pco_id FROM sync.agreed_contacts WHERE kind = 'phone_number'"
                      ).fetchall() == [("t1",)]
    assert row(db, "SELECT count(*) FROM church.phone_numbers")[0] == 0


def test_only_this_runs_staging_rows_are_merged(db):
    stage(db, person("p1"), run_id="other-run")
    assert merge_people(db, RUN)["created"] == 0
    assert row(db, "SELECT count(*) FROM church.people")[0] == 0


def test_contact_edits_follow_the_same_three_way_rule(db):
    pid = _linked(db)
    # staff change the email's location and delete nothing; PCO adds a phone
    db.execute("UPDATE church.emails SET location = 'Work' WHERE person_id = %s", (pid,))
    db.commit()
    stage(db, person("p1", "Ann", "Lee", emails=[("e1", "ann@example.org")],
                     phones=[("t1", "555 0100")]), run_id="run-2")
    counts = merge_people(db, "run-2")
    assert counts["updated"] == 1 and counts["conflicts"] == 0
    assert row(db, "SELECT location FROM church.emails") == ("Work",)
    assert row(db, "SELECT number, pco_id FROM church.phone_numbers") == ("555 0100", "t1")
    # a contact deleted locally is not brought back (the push deletes it in PCO)
    db.execute("DELETE FROM church.phone_numbers")
    db.commit()
    merge_people(db, "run-2")
    assert row(db, "SELECT count(*) FROM church.phone_numbers")[0] == 0


def test_malformed_values_do_not_stop_the_merge(db):
    stage(db, person("p1", "Robert'); DROP TABLE church.people; --", "Ø" * 5000,
                     birthdate="2023-02-30", child="maybe", status="zombie",
                     emails=[("e1", "  ")]))
    assert merge_people(db, RUN)["created"] == 1
    first, birthdate, child, status = row(
        db, "SELECT first_name, birthdate, child, status FROM church.people")
    assert first.startswith("Robert'") and birthdate is None and child is None
    assert status == "active"
    assert row(db, "SELECT count(*) FROM church.emails")[0] == 0


def test_people_as_the_simulator_serves_them(db, seeded_sim):
    """Records shaped exactly as PCO (the simulator) returns them, staged as the extract
    does, merge into one church person per PCO person with their contacts."""
    from pco_sync.pco.client import PcoClient, resolve

    client = PcoClient(seeded_sim.url, *seeded_sim.auth)
    staged = []
    for rec, included in client.records("/people/v2/people",
                                        {"include": "emails,phone_numbers,addresses"}):
        rec = dict(rec, included={k: resolve(rec, included, k)
                                  for k in ("emails", "phone_numbers", "addresses")})
        staged.append(rec)
    stage(db, *staged)
    counts = merge_people(db, RUN)
    assert counts["created"] == len(staged) and counts["needs_review"] == 0
    pco_emails = sum(len(r["included"]["emails"]) for r in staged)
    assert row(db, "SELECT count(*) FROM church.emails WHERE pco_id IS NOT NULL")[0] == pco_emails
    assert merge_people(db, RUN)["unchanged"] == len(staged)
