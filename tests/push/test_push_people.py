"""Pushing people to PCO against the simulator over HTTP and real PostgreSQL: create with
contacts and the link saved, exactly once across crashes, patches of changed fields only,
no echo on the next pull, conflicts never overwritten, dry run, per-record failures."""
from __future__ import annotations

from urllib.parse import unquote

import pytest

from push_helpers import DEFAULT, client_for, local_person, pco_people, pull, value, writes, push_people
from pco_sync.push.settings import PushSettings

RUN = "run-1"
HOME = {"street_line_1": "1 Main St", "street_line_2": "Apt 2", "city": "Springfield",
        "state": "IL", "zip": "62701", "country_code": "US", "location": "Home",
        "is_primary": True}


class Crash(Exception):
    """Stands for the worker dying: raised after PCO wrote, before anything was saved."""


def crash_once(entity):
    fired = []

    def hook(op, result):
        if op.entity == entity and op.operation == "create" and not fired:
            fired.append(op)
            raise Crash(f"after {op.method} {op.path}")
    return hook


def test_create_with_contacts_saves_links_and_agreed_state(db, sim):
    pid = local_person(db, "Ann", "Lee", birthdate="1980-04-02", gender="F",
                       phones=[("(555) 010-2000", "Mobile")], addresses=[HOME])
    client = client_for(sim)
    counts = push_people(db, client, RUN, DEFAULT)
    assert (counts["created"], counts["failed"], counts["skipped"]) == (1, 0, 0)
    # the person, then one POST per contact record: nothing was tried before, no lookup
    assert counts["requests"] == 4
    [person] = pco_people(sim, remote_id=pid)
    assert (person["first_name"], person["last_name"], person["birthdate"], person["gender"],
            person["status"]) == ("Ann", "Lee", "1980-04-02", "F", "active")
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid) == person["id"]
    assert value(db, "SELECT first_name FROM sync.agreed_people WHERE pco_id = %s",
                 person["id"]) == "Ann"
    emails = sim.store.children("emails", "person_id", person["id"])
    assert [(e["address"], e["primary"]) for e in emails] == [("ann@example.org", True)]
    [address] = sim.store.children("addresses", "person_id", person["id"])
    assert (address["street_line_1"], address["street_line_2"], address["zip"]) == (
        "1 Main St", "Apt 2", "62701")
    assert value(db, "SELECT count(*) FROM church.emails WHERE pco_id IS NOT NULL") == 1
    assert value(db, "SELECT count(*) FROM sync.agreed_contacts") == 3
    assert value(db, "SELECT count(*) FROM sync.push_pending") == 0

    again = push_people(db, client, "run-2", DEFAULT)
    assert again["requests"] == 0
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)


def test_crash_after_create_then_rerun_makes_exactly_one_person(db, sim):
    pid = local_person(db)
    client = client_for(sim)
    with pytest.raises(Crash):
        push_people(db, client, RUN, DEFAULT, after_send=crash_once("person"))
    db.rollback()
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid) is None
    assert len(pco_people(sim, remote_id=pid)) == 1  # PCO has it, the link was not saved
    assert value(db, "SELECT key FROM sync.push_pending WHERE entity = 'person'") == str(pid)

    before = len(sim.sim.requests)
    counts = push_people(db, client, "run-2", DEFAULT)
    [person] = pco_people(sim, remote_id=pid)
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid) == person["id"]
    assert writes(sim).count(("POST", "/people/v2/people", 201)) == 1
    assert counts["created"] == 1  # the earlier attempt's person, linked now
    # the journal row made the rerun look first, and the lookup found it: no second POST
    [lookup, *_] = list(sim.sim.requests)[before:]
    assert (lookup["method"], lookup["path"], unquote(lookup["query"])) == (
        "GET", "/people/v2/people", f"where[remote_id]={pid}")
    assert counts["requests"] == 2  # the lookup, then the email
    assert len(sim.store.children("emails", "person_id", person["id"])) == 1
    assert value(db, "SELECT count(*) FROM sync.push_pending") == 0


def test_answer_lost_after_create_is_found_not_resent(db, sim):
    """The simulator applies the POST and cuts the answer short: the client must not send it
    again, the push looks it up by remote_id and links it in the same run."""
    pid = local_person(db)
    sim.sim.faults.add({"kind": "truncate", "path": "/people/v2/people", "method": "POST",
                        "count": 1})
    counts = push_people(db, client_for(sim), RUN, DEFAULT)
    [person] = pco_people(sim, remote_id=pid)
    assert counts["created"] == 1 and counts["failed"] == 0
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid) == person["id"]


def test_crash_after_contact_create_does_not_duplicate_the_contact(db, sim):
    pid = local_person(db, phones=[("555-0100", "Home")])
    client = client_for(sim)
    with pytest.raises(Crash):
        push_people(db, client, RUN, DEFAULT, after_send=crash_once("email"))
    db.rollback()
    # journaled before sending: the email in flight stays; the phone number, which the
    # stopped batch never reached, is taken back (no lookup for it on the rerun)
    assert list(db.execute("SELECT entity FROM sync.push_pending")) == [("email",)]

    push_people(db, client, "run-2", DEFAULT)
    pco_id = value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid)
    [email] = sim.store.children("emails", "person_id", pco_id)
    assert value(db, "SELECT pco_id FROM church.emails WHERE person_id = %s", pid) == email["id"]
    assert len(sim.store.children("phone_numbers", "person_id", pco_id)) == 1
    assert value(db, "SELECT count(*) FROM sync.push_pending") == 0


def test_patch_sends_only_changed_fields_and_contacts_one_by_one(db, sim):
    pid = local_person(db, phones=[("555-0100", "Home")], addresses=[HOME])
    client = client_for(sim)
    push_people(db, client, RUN, DEFAULT)
    pco_id = value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid)
    db.execute("UPDATE church.people SET nickname = 'Annie' WHERE id = %s", (pid,))
    db.execute("UPDATE church.phone_numbers SET number = '555-0199' WHERE person_id = %s", (pid,))
    db.execute("DELETE FROM church.addresses WHERE person_id = %s", (pid,))
    db.execute("INSERT INTO church.emails (person_id, address) VALUES (%s, 'a2@example.org')",
               (pid,))
    db.commit()
    sent = []
    counts = push_people(db, client, "run-2", DEFAULT, after_send=lambda op, r: sent.append(op))
    bodies = {(op.entity, op.operation): op.body for op in sent}
    assert bodies[("person", "update")]["data"]["attributes"] == {"nickname": "Annie"}
    assert bodies[("phone_number", "update")]["data"]["attributes"] == {"number": "555-0199"}
    assert ("address", "delete") in bodies and ("email", "create") in bodies
    assert len(sent) == 4 and counts["updated"] == 1
    assert sim.store.get("people", pco_id)["nickname"] == "Annie"
    assert sim.store.children("addresses", "person_id", pco_id) == []
    assert value(db, "SELECT count(*) FROM sync.agreed_contacts WHERE kind = 'address'") == 0
    assert push_people(db, client, "run-3", DEFAULT)["requests"] == 0


def test_next_pull_counts_pushed_people_unchanged(db, db_url, sim):
    for i in range(3):
        local_person(db, f"P{i}", "Lee", email=f"p{i}@example.org", birthdate="1990-01-0%d" % (i + 1),
                     phones=[(f"555-010{i}", "Mobile")], addresses=[HOME])
    client = client_for(sim)
    push_people(db, client, RUN, DEFAULT)
    counts = pull(client, db, db_url, "pull-1")["people"]
    assert {k: counts[k] for k in ("created", "updated", "unchanged", "needs_review",
                                   "conflicts")} == {"created": 0, "updated": 0, "unchanged": 3,
                                                     "needs_review": 0, "conflicts": 0}
    assert push_people(db, client, "run-2", DEFAULT)["requests"] == 0


def test_same_field_changed_on_both_sides_is_a_conflict_not_a_write(db, db_url, sim):
    pid = local_person(db, "Ann", "Lee")
    client = client_for(sim)
    push_people(db, client, RUN, DEFAULT)
    pco_id = value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid)
    sim.store.update("people", pco_id, {"first_name": "Anna"})  # staff edit in PCO
    db.execute("UPDATE church.people SET first_name = 'Annie', nickname = 'An' WHERE id = %s",
               (pid,))
    db.commit()
    assert pull(client, db, db_url, "pull-1")["people"]["conflicts"] == 1
    sent = []
    push_people(db, client, "run-2", DEFAULT, after_send=lambda op, r: sent.append(op.body))
    assert [b["data"]["attributes"] for b in sent] == [{"nickname": "An"}]
    assert sim.store.get("people", pco_id)["first_name"] == "Anna"  # never overwritten
    assert value(db, "SELECT local_value FROM sync.conflicts WHERE field = 'first_name' "
                     "AND resolved_at IS NULL") == "Annie"


def test_pco_edit_not_merged_yet_is_not_overwritten(db, sim):
    """A newer PCO value staged after the agreement (here: quarantined, so never merged)
    keeps the push off that field."""
    pid = local_person(db)
    client = client_for(sim)
    push_people(db, client, RUN, DEFAULT)
    pco_id = value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid)
    record = {"type": "Person", "id": pco_id, "attributes": {
        "first_name": "Anna", "last_name": "Lee", "status": "active"}}
    db.execute("INSERT INTO pco_staging.people (run_id, pco_id, record, loaded_at) "
               "VALUES ('pull-1', %s, %s, now() + interval '1 second')",
               (pco_id, __import__("json").dumps(record)))
    db.execute("UPDATE church.people SET first_name = 'Annie' WHERE id = %s", (pid,))
    db.commit()
    assert push_people(db, client, "run-2", DEFAULT)["requests"] == 0


def test_dry_run_lists_operations_and_writes_nothing(db, sim):
    pid = local_person(db, phones=[("555-0100", "Home")])
    client = client_for(sim)
    counts = push_people(db, client, RUN, DEFAULT, dry_run=True)
    ops = [(o["method"], o["path"]) for o in counts["operations"]]
    assert ops == [("POST", "/people/v2/people"),  # nothing tried before: no lookup
                   ("POST", f"/people/v2/people/dry-run:person:{pid}/emails"),
                   ("POST", f"/people/v2/people/dry-run:person:{pid}/phone_numbers")]
    post = counts["operations"][0]["body"]["data"]["attributes"]
    assert post["remote_id"] == pid and post["first_name"] == "Ann"
    assert counts["requests"] == 0 and list(sim.sim.requests) == []
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid) is None
    for table in ("sync.agreed_people", "sync.agreed_contacts", "sync.push_pending",
                  "sync.push_failures"):
        assert value(db, f"SELECT count(*) FROM {table}") == 0


def test_email_required_by_default(db, sim):
    no_email = local_person(db, "No", "Email", email=None)
    local_person(db, "Has", "Email")
    client = client_for(sim)
    counts = push_people(db, client, RUN, DEFAULT)
    assert (counts["created"], counts["skipped"]) == (1, 1)
    assert counts["skipped_reasons"] == {"no email": 1}
    assert pco_people(sim, remote_id=no_email) == []
    counts = push_people(db, client, "run-2", PushSettings(require_email=False))
    assert counts["created"] == 1 and len(pco_people(sim, remote_id=no_email)) == 1


def test_fields_setting_limits_what_is_sent(db, sim):
    local_person(db, birthdate="1980-04-02", phones=[("555-0100", "Home")])
    settings = PushSettings.parse({"fields": '["emails"]'})
    sent = []
    push_people(db, client_for(sim), RUN, settings, after_send=lambda op, r: sent.append(op))
    assert sent[0].body["data"]["attributes"] == {"first_name": "Ann", "last_name": "Lee",
                                                  "remote_id": sent[0].local_id}
    assert [op.entity for op in sent] == ["person", "email"]


def test_refusals_are_recorded_retried_with_backoff_and_never_fail_the_run(db, sim):
    bad = local_person(db, "Bad", "Gender", email="bad@example.org", gender="X")
    good = local_person(db, "Good", "Person", email="good@example.org")
    client = client_for(sim)
    counts = push_people(db, client, RUN, DEFAULT)
    assert (counts["created"], counts["failed"]) == (1, 1)
    assert value(db, "SELECT pco_id IS NOT NULL FROM church.people WHERE id = %s", good)
    status, detail, attempts = value(
        db, "SELECT status, detail, attempts FROM sync.push_failures "
            "WHERE entity = 'person' AND key = %s AND resolved_at IS NULL", str(bad))
    assert status == 422 and "Gender" in detail and attempts == 1
    assert value(db, "SELECT count(*) FROM sync.push_pending") == 0  # refused: not in PCO

    again = push_people(db, client, "run-2", DEFAULT)  # within the backoff: not sent
    # nothing sent while it backs off: waiting, not failed again
    assert (again["requests"], again["failed"], again["waiting_to_retry"]) == (0, 0, 1)
    full = push_people(db, client, "run-3", DEFAULT, full_push=True)  # a manual full push
    assert full["requests"] == 1 and full["failed"] == 1  # the POST alone, refused again
    assert value(db, "SELECT attempts FROM sync.push_failures WHERE key = %s", str(bad)) == 2

    db.execute("UPDATE church.people SET gender = 'F' WHERE id = %s", (bad,))
    db.commit()
    fixed = push_people(db, client, "run-4", DEFAULT, full_push=True)
    assert fixed["created"] == 1 and fixed["failed"] == 0
    assert value(db, "SELECT count(*) FROM sync.push_failures WHERE resolved_at IS NULL") == 0


def test_people_in_match_review_or_removed_in_pco_are_not_created(db, sim):
    review = local_person(db, "In", "Review", email="r@example.org")
    removed = local_person(db, "Gone", "Away", email="g@example.org")
    db.execute("INSERT INTO sync.match_review (run_id, pco_id, reason, candidates, payload) "
               "VALUES ('r', '999', 'several local candidates', ARRAY[%s, 12345]::bigint[], '{}')",
               (review,))
    db.execute("INSERT INTO sync.removed_in_pco (entity, local_id, pco_id, reason, run_id) "
               "VALUES ('person', %s, '998', 'absent from full snapshot', 'r')", (removed,))
    db.commit()
    counts = push_people(db, client_for(sim), RUN, DEFAULT)
    assert counts["skipped_reasons"] == {"in match review": 1, "removed in PCO": 1}
    assert counts["requests"] == 0 and pco_people(sim) == []


def test_someone_else_holding_the_remote_id_after_a_doubtful_attempt_is_neither_linked_nor_duplicated(
        db, sim):
    """remote_ids also come from imports out of other systems. When a lookup runs (an
    earlier attempt may have landed), a PCO person with our id as remote_id but another
    name may be that attempt renamed since: not ours to link, and creating could duplicate
    it. Staff decide; every retry looks again."""
    pid = local_person(db, "Ann", "Lee")
    zed = sim.store.insert("people", {"first_name": "Zed", "last_name": "Imported",
                                      "remote_id": pid, "status": "active"})
    sim.sim.faults.add({"kind": "error", "status": 503, "path": "/people/v2/people",
                        "method": "POST", "count": 1})  # not applied, but who can tell
    client = client_for(sim)
    counts = push_people(db, client, RUN, DEFAULT)
    assert counts["failed"] == 1 and counts["created"] == 0
    assert [p["id"] for p in pco_people(sim, remote_id=pid)] == [zed["id"]]
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid) is None
    assert "already has remote_id" in value(db, "SELECT detail FROM sync.push_failures")
    assert value(db, "SELECT count(*) FROM sync.push_pending") == 1

    again = push_people(db, client, "run-2", DEFAULT, full_push=True)
    assert (again["failed"], again["requests"]) == (1, 1)  # looked again, sent nothing
    assert [p["id"] for p in pco_people(sim, remote_id=pid)] == [zed["id"]]


def test_someone_else_holding_the_remote_id_with_no_earlier_attempt_is_left_alone(db, sim):
    """Nothing was tried before, so no lookup runs and PCO (which does not keep remote_ids
    unique) accepts the create: the person PCO answers with is ours and is linked; the
    imported holder is neither linked nor touched. Our link is by PCO id, so the shared
    remote_id never matters to us."""
    pid = local_person(db, "Ann", "Lee")
    zed = sim.store.insert("people", {"first_name": "Zed", "last_name": "Imported",
                                      "remote_id": pid, "status": "active"})
    counts = push_people(db, client_for(sim), RUN, DEFAULT)
    assert (counts["created"], counts["failed"], counts["requests"]) == (1, 0, 2)
    [ann] = [p for p in pco_people(sim, remote_id=pid) if p["id"] != zed["id"]]
    assert ann["first_name"] == "Ann"
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid) == ann["id"]
    assert sim.store.get("people", zed["id"])["first_name"] == "Zed"
    assert value(db, "SELECT count(*) FROM church.people WHERE pco_id = %s", zed["id"]) == 0


def test_vanished_pco_person_and_refused_contact_are_recorded_per_record(db, sim):
    gone = local_person(db, "Gone", "Person", email="gone@example.org")
    client = client_for(sim)
    push_people(db, client, RUN, DEFAULT)
    sim.store.delete_person(value(db, "SELECT pco_id FROM church.people WHERE id = %s", gone))
    db.execute("UPDATE church.people SET nickname = 'G' WHERE id = %s", (gone,))
    bad_email = local_person(db, "Bad", "Email", email="not-an-address")
    db.commit()
    counts = push_people(db, client, "run-2", DEFAULT)
    failures = dict(db.execute("SELECT entity || ' ' || operation, status FROM sync.push_failures"))
    assert failures == {"person update": 404, "email create": 422}
    # the person with the bad email is in PCO; the email waits for someone to fix it
    assert value(db, "SELECT pco_id IS NOT NULL FROM church.people WHERE id = %s", bad_email)
    assert counts["failed"] == 2


def test_pco_outage_stops_the_push_without_duplicates(db, sim):
    from pco_sync.errors import PcoOutage

    ids = [local_person(db, f"P{i}", "Lee", email=f"p{i}@example.org") for i in range(5)]
    sim.sim.faults.add({"kind": "error", "status": 503, "path": "/people/v2/people",
                        "method": "POST"})
    client = client_for(sim, max_retries=1)
    with pytest.raises(PcoOutage):
        push_people(db, client, RUN, DEFAULT)
    db.rollback()
    assert pco_people(sim) == []
    # the three creates that got 503s may have landed; the two never sent are not journaled
    assert [int(k) for k, in db.execute("SELECT key FROM sync.push_pending ORDER BY key::bigint")
            ] == ids[:3]
    sim.sim.faults.clear()
    counts = push_people(db, client, "run-2", DEFAULT, full_push=True)
    assert counts["created"] == 5
    assert counts["requests"] == 3 + 5 + 5  # three lookups, five people, five emails
    assert sorted(int(p["remote_id"]) for p in pco_people(sim)) == ids


def test_a_failure_nobody_needs_any_more_is_resolved(db, sim):
    bad = local_person(db, "Bad", "Gender", gender="X")
    client = client_for(sim)
    push_people(db, client, RUN, DEFAULT)
    assert value(db, "SELECT count(*) FROM sync.push_failures WHERE resolved_at IS NULL") == 1
    db.execute("DELETE FROM church.people WHERE id = %s", (bad,))  # staff removed the record
    db.commit()
    counts = push_people(db, client, "run-2", DEFAULT)
    assert counts["failed"] == 0 and counts["requests"] == 0
    assert value(db, "SELECT count(*) FROM sync.push_failures WHERE resolved_at IS NULL") == 0
