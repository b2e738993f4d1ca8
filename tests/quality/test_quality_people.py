"""Quality step against real PostgreSQL: row checks quarantine exactly the bad records with
their check and raw payload (a bad contact as that contact), re-runs and later runs do not
pile up rows, a record PCO fixed resolves its row, batch gates stop a bad run."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from pco_sync.errors import QualityGateError
from pco_sync.extract.staging import extract
from pco_sync.pco.client import PcoClient
from pco_sync.pco.resources import window
from pco_sync.quality.gates import gate
from pco_sync.quality.validate import validate
from pipeline import BASE, seed_people, sync


def client_for(sim) -> PcoClient:
    return PcoClient(sim.url, *sim.auth, backoff_base=0.01)


def quarantined(db, run_id: str, stream: str = "people") -> set[tuple[str, str]]:
    return set(db.execute("SELECT pco_id, check_name FROM sync.quarantine "
                          "WHERE run_id = %s AND stream = %s", (run_id, stream)).fetchall())


def link_local_people(db, n: int) -> None:
    """n church.people rows already linked to PCO. church.people comes from another
    migration; a minimal stand-in is created only where it does not exist yet."""
    db.execute("CREATE TABLE IF NOT EXISTS church.people (id bigint GENERATED ALWAYS AS "
               "IDENTITY PRIMARY KEY, pco_id text UNIQUE, first_name text, last_name text, "
               "birthdate date)")
    db.execute("INSERT INTO church.people (pco_id, first_name, last_name) "
               "SELECT 'linked-' || g, 'Linked', 'Person' FROM generate_series(1, %s) AS g",
               (n,))
    db.commit()


def edit(sim, table: str, rid: str, **changes) -> None:
    sim.store.update(table, rid, changes, bump=False, emit=False)


def test_each_row_failure_is_quarantined_with_check_name_and_raw_payload(sim, db):
    ids = seed_people(sim, 30)
    edit(sim, "people", ids[1], first_name=None, last_name="   ")
    edit(sim, "people", ids[2], birthdate="1850-05-05")
    edit(sim, "people", ids[3], birthdate="2999-01-01")
    edit(sim, "people", ids[4], birthdate="2001-02-30")
    edit(sim, "people", ids[5], birthdate="1984-07-09")  # fine
    edit(sim, "emails", str(20_000_001 + 6), address="  Mixed.Case@Example.ORG ")  # fine
    edit(sim, "emails", str(20_000_001 + 7), address="not-an-email")
    edit(sim, "emails", str(20_000_001 + 8), address="two@@example.org")
    edit(sim, "phone_numbers", str(30_000_001 + 9), number="n/a")
    edit(sim, "phone_numbers", str(30_000_001 + 10), number="(614) 555-0100 x2")  # fine
    edit(sim, "people", ids[11], status="deceased")
    edit(sim, "people", ids[12], first_name="", last_name=None, status=None)
    extract(client_for(sim), db, "people", "run-q")

    result = validate(db, "people", "run-q")

    want = {(ids[1], "name_present"), (ids[2], "birthdate_valid"),
            (ids[3], "birthdate_valid"), (ids[4], "birthdate_valid"),
            (ids[7], "email_format"), (ids[8], "email_format"),
            (ids[9], "phone_has_digits"), (ids[11], "status_known"),
            (ids[12], "name_present"), (ids[12], "status_known")}
    assert quarantined(db, "run-q") == want
    assert result == {"checked": 30, "passed": 21, "quarantined": 9}
    rows = db.execute("SELECT q.pco_id, q.check_name, q.detail, q.payload = s.record "
                      "FROM sync.quarantine q JOIN pco_staging.people s "
                      "ON s.run_id = q.run_id AND s.pco_id = q.pco_id").fetchall()
    assert len(rows) == len(want) and all(same for *_, same in rows)
    details = {(pid, check): detail for pid, check, detail, _ in rows}
    assert "2001-02-30" in details[(ids[4], "birthdate_valid")]
    assert "not-an-email" in details[(ids[7], "email_format")]
    assert "n/a" in details[(ids[9], "phone_has_digits")]
    assert "deceased" in details[(ids[11], "status_known")]


def test_revalidating_does_not_duplicate_and_forgets_what_was_fixed(sim, db):
    ids = seed_people(sim, 5)
    edit(sim, "people", ids[0], status="unknown")
    edit(sim, "people", ids[1], birthdate="1700-01-01")
    client = client_for(sim)
    extract(client, db, "people", "run-r")
    first = validate(db, "people", "run-r")
    stamps = db.execute("SELECT id, quarantined_at FROM sync.quarantine ORDER BY id").fetchall()
    again = validate(db, "people", "run-r")
    assert first == again == {"checked": 5, "passed": 3, "quarantined": 2}
    assert db.execute("SELECT id, quarantined_at FROM sync.quarantine ORDER BY id"
                      ).fetchall() == stamps

    edit(sim, "people", ids[0], status="active")  # fixed in PCO; the task is re-run
    extract(client, db, "people", "run-r")
    assert validate(db, "people", "run-r")["quarantined"] == 1
    assert quarantined(db, "run-r") == {(ids[1], "birthdate_valid")}


def test_a_generated_church_mostly_passes_and_its_gate_passes(seeded_sim, db):
    extract(client_for(seeded_sim), db, "people", "run-c")
    extract(client_for(seeded_sim), db, "households", "run-c")
    people = validate(db, "people", "run-c")
    households = validate(db, "households", "run-c")
    n = len(seeded_sim.store.tables["people"])
    assert people["checked"] == n and people["passed"] + people["quarantined"] == n
    assert people["quarantined"] < 0.05 * n
    assert households["quarantined"] == 0
    link_local_people(db, n)
    gate(db, "run-c")


def test_households_without_name_or_members_are_quarantined(sim, db):
    ids = seed_people(sim, 4)
    sim.store.create_household("Test Household", ids[:2], ids[0])
    empty = sim.store.insert("households", {"name": "Empty Household"}, emit=False)
    nameless = sim.store.create_household(None, ids[2:], ids[2])
    edit(sim, "households", nameless["id"], name=" \u200b ")
    extract(client_for(sim), db, "households", "run-h")
    assert validate(db, "households", "run-h") == {"checked": 3, "passed": 1, "quarantined": 2}
    assert quarantined(db, "run-h", "households") == {(empty["id"], "has_members"),
                                                       (nameless["id"], "name_present")}


def test_gate_stops_a_full_pull_with_far_fewer_people_than_linked(sim, db):
    seed_people(sim, 30)
    link_local_people(db, 100)
    extract(client_for(sim), db, "people", "run-g")
    validate(db, "people", "run-g")
    with pytest.raises(QualityGateError) as err:
        gate(db, "run-g")
    assert "returned 30 records" in str(err.value) and "100 people linked" in str(err.value)


def test_gate_stops_an_outage_answering_empty_pages(sim, db):
    link_local_people(db, 40)
    extract(client_for(sim), db, "people", "run-empty")
    with pytest.raises(QualityGateError, match=r"returned 0 records.*40 people linked"):
        gate(db, "run-empty")


def test_gate_passes_a_normal_full_pull_and_any_incremental_window(sim, db):
    seed_people(sim, 60)
    link_local_people(db, 100)
    client = client_for(sim)
    extract(client, db, "people", "run-full")
    validate(db, "people", "run-full")
    gate(db, "run-full")  # 60 of 100: a real church can shrink

    extract(client, db, "people", "run-window",
            window("2024-01-01T00:00:00Z", "2024-01-01T00:15:00Z"))
    validate(db, "people", "run-window")
    gate(db, "run-window", full_refresh=False)  # a window is few people by design


def test_gate_stops_a_run_with_too_many_quarantined(sim, db):
    ids = seed_people(sim, 30)
    for pid in ids[:10]:
        edit(sim, "people", pid, status="??")
    extract(client_for(sim), db, "people", "run-bad",
            window("2023-12-31T00:00:00Z", "2024-01-02T00:00:00Z"))
    validate(db, "people", "run-bad")
    with pytest.raises(QualityGateError, match=r"10 of 30 people records \(33%\)"):
        gate(db, "run-bad", full_refresh=False)


BAD_RECORDS = {
    # pco_id: (record as staged, checks it must fail; empty: it passes)
    "b1": ({"type": "Person", "id": "b1", "attributes": {"first_name": None, "last_name": None,
                                                         "status": "active"}}, {"name_present"}),
    "b2": ({"type": "Person", "id": "b2", "attributes": {"first_name": "X" * 100_000,
                                                         "status": "active"}}, {"name_length"}),
    "b3": ({"type": "Person", "id": "b3", "attributes": {
        "first_name": "Robert'); DROP TABLE church.people;--", "last_name": "$$; SELECT 1; $$",
        "status": "active"}}, set()),
    "b4": ({"type": "Person", "id": "b4", "attributes": {"first_name": "Zoë 李 👪",
                                                         "last_name": "e\u0301\u202e",
                                                         "status": "active"}}, set()),
    "b5": ({"type": "Person", "id": "b5", "attributes": {"first_name": "\u200b\u00a0\ufeff",
                                                         "status": "active"}}, {"name_present"}),
    "b6": ({"type": "Person", "id": "b6", "attributes": {"first_name": "A", "birthdate": 19840709,
                                                         "status": "active"}}, {"birthdate_valid"}),
    "b7": ({"type": "Person", "id": "b7", "attributes": {"first_name": "A",
                                                         "birthdate": "not a date",
                                                         "status": "active"}}, {"birthdate_valid"}),
    "b8": ({"type": "Person", "id": "b8", "attributes": {"first_name": "A",
                                                         "birthdate": "0000-00-00",
                                                         "status": "active"}}, {"birthdate_valid"}),
    "b9": ({"type": "Person", "id": "b9", "attributes": {"first_name": "A", "status": "active",
                                                         "favourite_hymn": "Abide With Me",
                                                         "nested": {"x": [1, 2]}}}, set()),
    "b10": ({"type": "Person", "id": "b10", "attributes": None}, {"name_present", "status_known"}),
    "b11": ({"type": "Person", "id": "b11", "attributes": "garbage"},
            {"name_present", "status_known"}),
    "missing-id:1": ({"type": "Person", "attributes": {"first_name": "A", "status": "active"}},
                     {"id_present"}),
    "b12": ({"type": "Person", "id": "b12", "attributes": {"first_name": "A", "status": "active"},
             "included": {"emails": "not a list", "phone_numbers": [None, 5, {"attributes": {
                 "number": 6145550100}}]}}, {"phone_has_digits"}),  # null and 5: no number
    "b13": ({"type": "Person", "id": "b13", "attributes": {"first_name": "A", "status": "active"},
             "included": {"emails": [{"id": "e1", "attributes": {"address": None}}],
                          "phone_numbers": [{"id": "p1", "attributes": {}}]}},
            {"email_format", "phone_has_digits"}),
    "b14": ({"type": "Person", "id": "b14", "attributes": {"first_name": "A", "status": "ACTIVE"}},
            {"status_known"}),
}


def test_gate_lets_a_run_that_accepts_quarantine_through_and_keeps_the_other_gates(sim, db):
    ids = seed_people(sim, 30)
    for pid in ids[:10]:
        edit(sim, "people", pid, status="??")
    extract(client_for(sim), db, "people", "run-accept")  # whole: the snapshot gate applies
    validate(db, "people", "run-accept")
    with pytest.raises(QualityGateError, match=r"10 of 30 people records \(33%\)"):
        gate(db, "run-accept")
    gate(db, "run-accept", accept_quarantine=True)

    link_local_people(db, 100)  # now the pull also looks like an outage: that still stops it
    with pytest.raises(QualityGateError) as err:
        gate(db, "run-accept", accept_quarantine=True)
    assert "returned 30 records" in str(err.value)
    assert "failed quality checks" not in str(err.value)


# ---- a bad contact, and the life of a quarantine row across runs ---------------------------
PHONE = 30_000_001  # seed_people's phone ids: PHONE + i belongs to person i


def quarantine_rows(db) -> list[tuple]:
    return db.execute("SELECT id, pco_id, contact_kind, contact_id, check_name, run_id, "
                      "first_run_id, quarantined_at, resolved_at IS NOT NULL "
                      "FROM sync.quarantine ORDER BY id").fetchall()


def phones_of(db, pco_id: str) -> list[tuple[str, str]]:
    return db.execute("SELECT ph.number, ph.pco_id FROM church.phone_numbers ph "
                      "JOIN church.people p ON p.id = ph.person_id WHERE p.pco_id = %s "
                      "ORDER BY ph.id", (pco_id,)).fetchall()


def test_a_bad_phone_is_quarantined_as_that_contact_and_the_person_merges_without_it(
        sim, db, db_url):
    ids = seed_people(sim, 3)
    work = sim.store.insert("phone_numbers", {"person_id": ids[1], "number": "(614) 555-0199",
                                              "location": "Work", "primary": False}, emit=False)
    edit(sim, "phone_numbers", str(PHONE + 1), number="xxx-xxx-xxxx")
    edit(sim, "emails", str(20_000_001 + 2), address="not-an-email")  # a bad email, likewise

    out = sync(sim, db_url, "run-1", resources=("people",))

    rows = db.execute("SELECT pco_id, contact_kind, contact_id, check_name, detail, payload "
                      "FROM sync.quarantine ORDER BY pco_id").fetchall()
    assert [r[:4] for r in rows] == [
        (ids[1], "phone_number", str(PHONE + 1), "phone_has_digits"),
        (ids[2], "email", str(20_000_001 + 2), "email_format")]
    assert "xxx-xxx-xxxx" in rows[0][4]
    staged = db.execute("SELECT record FROM pco_staging.people WHERE run_id = 'run-1' "
                        "AND pco_id = %s", (ids[1],)).fetchone()[0]
    assert rows[0][5] == staged  # the raw record, the bad number in it
    # every person is merged, each without only the contact that failed
    assert out["people"]["created"] == 3
    assert out["people"]["quarantined"] == 2  # people with something quarantined, once each
    assert phones_of(db, ids[1]) == [("(614) 555-0199", work["id"])]
    assert db.execute("SELECT e.address FROM church.emails e JOIN church.people p "
                      "ON p.id = e.person_id WHERE p.pco_id = %s", (ids[1],)).fetchall() == [
        ("p1@x.org",)]
    assert phones_of(db, ids[2]) == [("6145550002", str(PHONE + 2))]
    assert db.execute("SELECT count(*) FROM church.emails e JOIN church.people p "
                      "ON p.id = e.person_id WHERE p.pco_id = %s", (ids[2],)).fetchone()[0] == 0


def test_a_failure_keeps_one_open_row_across_runs_until_pco_fixes_it(sim, db, db_url):
    ids = seed_people(sim, 30)
    bad = str(PHONE + 20)
    edit(sim, "phone_numbers", bad, number="xxx-xxx-xxxx")
    sync(sim, db_url, "run-1", resources=("people",))
    [(qid, pco_id, kind, contact_id, check, run_id, first_run, at, resolved)] = quarantine_rows(db)
    assert (pco_id, kind, contact_id, check, run_id, resolved) == (
        ids[20], "phone_number", bad, "phone_has_digits", "run-1", False)

    # found again by the next full run: the same open row, now naming that run
    again = sync(sim, db_url, "run-2", resources=("people",))
    assert again["people"]["quarantined"] == 1
    assert quarantine_rows(db) == [
        (qid, ids[20], "phone_number", bad, "phone_has_digits", "run-2", "run-1", at, False)]

    # PCO fixes the number (the person's updated_at stays), then a windowed run that does
    # not see the person: the row is left open as it was
    edit(sim, "phone_numbers", bad, number="614 555 0120")
    windowed = sync(sim, db_url, "run-3", resources=("people",), full_refresh=False,
                    window=(BASE + timedelta(minutes=5), BASE + timedelta(minutes=10)))
    assert windowed["extracted"]["people"]["people"]["mode"] == "window"
    staged = {p for (p,) in db.execute(
        "SELECT pco_id FROM pco_staging.people WHERE run_id = 'run-3'")}
    assert staged and ids[20] not in staged
    assert quarantine_rows(db) == [
        (qid, ids[20], "phone_number", bad, "phone_has_digits", "run-2", "run-1", at, False)]
    assert phones_of(db, ids[20]) == []

    # the next run that stages the person resolves the row and merges the number
    fixed = sync(sim, db_url, "run-4", resources=("people",))
    assert fixed["people"]["quarantined"] == 0
    assert quarantine_rows(db) == [
        (qid, ids[20], "phone_number", bad, "phone_has_digits", "run-2", "run-1", at, True)]
    assert phones_of(db, ids[20]) == [("614 555 0120", bad)]

    # broken again later: a new open row beside the resolved one
    edit(sim, "phone_numbers", bad, number="n/a")
    sync(sim, db_url, "run-5", resources=("people",))
    assert [(r[5], r[6], r[8]) for r in quarantine_rows(db)] == [
        ("run-2", "run-1", True), ("run-5", "run-5", False)]
    # the local copy of a number PCO now holds in a form that failed is kept, not deleted
    assert phones_of(db, ids[20]) == [("614 555 0120", bad)]


def test_bad_input_is_quarantined_or_passes_never_crashes(db):
    db.execute("INSERT INTO pco_staging.people (run_id, pco_id, record) "
               "SELECT 'run-bad-input', key, value FROM jsonb_each(%s::jsonb)",
               (json.dumps({k: rec for k, (rec, _) in BAD_RECORDS.items()}),))
    db.commit()
    result = validate(db, "people", "run-bad-input")
    want = {(pid, check) for pid, (_, checks) in BAD_RECORDS.items() for check in checks}
    assert quarantined(db, "run-bad-input") == want
    failing = {pid for pid, _ in want}
    assert result == {"checked": len(BAD_RECORDS), "passed": len(BAD_RECORDS) - len(failing),
                      "quarantined": len(failing)}
    detail = db.execute("SELECT detail FROM sync.quarantine WHERE pco_id = 'b2'").fetchone()[0]
    assert len(detail) < 1000  # a huge value is shortened in the detail, kept in the payload


def test_bad_input_through_the_api(sim, db):
    ids = seed_people(sim, 3)
    edit(sim, "people", ids[0], first_name="Robert'); DROP TABLE church.people;--")
    edit(sim, "people", ids[1], first_name="\x00", last_name="\ud800")
    extract(client_for(sim), db, "people", "run-api")
    validate(db, "people", "run-api")
    assert quarantined(db, "run-api") == set()  # U+FFFD is a visible character
    assert db.execute("SELECT count(*) FROM pco_staging.people").fetchone()[0] == 3
