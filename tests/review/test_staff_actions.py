"""What else staff settle through SQL (migration 072), end to end against the simulator and
real PostgreSQL: a quarantined record taken anyway (merged, not quarantined again until it
changes), a record PCO no longer has kept local, deleted or created again, a push failure
retried now or dismissed (not sent again until the record changes), family match reviews
decided; bulk variants; every action audited; bad input refused with nothing changed."""
from __future__ import annotations

import psycopg
import pytest

from pipeline import extract, merge_resource, seed_people, sync
from pco_sync import church_db
from pco_sync.push.settings import PushSettings
from pco_sync.quality.validate import validate_resource
from push_helpers import (DEFAULT, client_for, local_person, pull, push_families, push_people,
                          value)


def audit(db):
    return db.execute("SELECT actor, action, entity, local_id, pco_id, field, subject_id "
                      "FROM sync.resolution_log ORDER BY id").fetchall()


def refused(db, call, error, message, *args):
    """`call` raises `error` matching `message`; the transaction is rolled back."""
    with pytest.raises(error, match=message):
        db.execute(call, args)
    db.rollback()


# ---- quarantine -----------------------------------------------------------------------------
def open_quarantine(db):
    return db.execute("SELECT id, pco_id, contact_kind, check_name FROM sync.quarantine "
                      "WHERE resolved_at IS NULL ORDER BY id").fetchall()


def test_a_dismissed_quarantine_is_merged_as_is_and_not_quarantined_again(db, db_url, sim):
    old, fine, bad_email = seed_people(sim, 3)
    sim.store.update("people", old, {"birthdate": "1850-05-05"}, bump=False)
    sim.store.update("emails", "20000003", {"address": "not-an-email"}, bump=False)
    client = client_for(sim)
    extract(client, db_url, "people", "run-1", full_refresh=True)
    with church_db.connect(db_url) as conn:
        validate_resource(conn, "people", "run-1")
    merge_resource(db_url, "people", "run-1")
    db.commit()
    rows = open_quarantine(db)
    assert [(p, k) for _, p, k, _ in rows] == [(old, None), (bad_email, "email")]
    assert value(db, "SELECT count(*) FROM church.people WHERE pco_id = %s", old) == 0

    assert value(db, "SELECT sync.dismiss_quarantines(%s, 'dora')", [i for i, *_ in rows]) == 2
    db.commit()
    assert open_quarantine(db) == []
    assert value(db, "SELECT resolution, resolved_by FROM sync.quarantine WHERE id = %s",
                 rows[0][0]) == ("dismissed", "dora")
    bad_local = value(db, "SELECT id FROM church.people WHERE pco_id = %s", bad_email)
    assert audit(db) == [("dora", "quarantine:dismiss", "person", None, old, rows[0][3],
                          rows[0][0]),
                         ("dora", "quarantine:dismiss", "person", bad_local, bad_email,
                          rows[1][3], rows[1][0])]

    # a merge of the same run (a retried task) takes what was dismissed: only open rows skip
    merge_resource(db_url, "people", "run-1")
    db.commit()
    assert value(db, "SELECT birthdate::text FROM church.people WHERE pco_id = %s", old) == "1850-05-05"
    assert value(db, "SELECT address FROM church.emails WHERE person_id = %s", bad_local) == "not-an-email"

    # the next run reads the same records: nothing quarantined, nothing to merge
    summary = sync(sim, db_url, "run-2", ("people",))
    assert summary["people"]["quarantined"] == 0 and summary["people"]["created"] == 0
    assert open_quarantine(db) == []

    # PCO changes the record, still failing: checked afresh, quarantined again, not merged
    sim.store.update("people", old, {"birthdate": "1851-06-06"})
    summary = sync(sim, db_url, "run-3", ("people",))
    assert summary["people"]["quarantined"] == 1
    assert [(p, c) for _, p, _, c in open_quarantine(db)] == [(old, rows[0][3])]
    assert value(db, "SELECT birthdate::text FROM church.people WHERE pco_id = %s", old) == "1850-05-05"


def test_dismissing_an_unknown_or_resolved_quarantine_is_refused(db):
    qid = value(db, "INSERT INTO sync.quarantine (run_id, first_run_id, stream, pco_id, "
                    "check_name, payload) VALUES ('r', 'r', 'people', '1', 'name_present', "
                    "'{}') RETURNING id")
    db.commit()
    refused(db, "SELECT sync.dismiss_quarantine(999999)", psycopg.errors.NoDataFound,
            "no quarantined record 999999")
    refused(db, "SELECT sync.dismiss_quarantines(ARRAY[%s, 999999]::bigint[])",
            psycopg.errors.NoDataFound, "999999", qid)  # all or none
    assert open_quarantine(db) == [(qid, "1", None, "name_present")]
    db.execute("SELECT sync.dismiss_quarantine(%s)", (qid,))
    db.commit()
    refused(db, "SELECT sync.dismiss_quarantine(%s)", psycopg.errors.InvalidParameterValue,
            "already resolved", qid)
    assert len(audit(db)) == 1


# ---- removed in PCO -------------------------------------------------------------------------
@pytest.fixture
def removed(db, db_url, sim):
    """Ann (email, phone) and Bob pushed to PCO with the Lee family; PCO then deletes Ann and
    the household, and a full pull finds both gone. (client, ann, bob, family, {entity:
    removed row id}, {entity: old PCO id})."""
    ann = local_person(db, "Ann", "Lee", email=None, phones=[("614-555-0100", "Mobile")])
    bob = local_person(db, "Bob", "Lee", email="bob@example.org")
    keeper = local_person(db, "Cy", "Lee", email="cy@example.org")
    fid = value(db, "INSERT INTO church.families (name, primary_contact_id) VALUES "
                    "('Lee Family', %s) RETURNING id", bob)
    for pid in (ann, bob):
        db.execute("INSERT INTO church.family_members VALUES (%s, %s)", (fid, pid))
    db.commit()
    client = client_for(sim)
    push_people(db, client, "run-0", PushSettings(require_email=False))
    push_families(db, client, "run-0")
    old = {"person": value(db, "SELECT pco_id FROM church.people WHERE id = %s", ann),
           "family": value(db, "SELECT pco_id FROM church.families WHERE id = %s", fid)}
    assert keeper and None not in old.values()
    sim.store.delete_household(old["family"])
    sim.store.delete_person(old["person"])
    counts = pull(client, db, db_url, "pull-1", ("people", "households"))
    assert counts["people"]["removed"] == 1 and counts["families"]["removed"] == 1
    ids = dict(db.execute("SELECT entity, id FROM sync.removed_in_pco WHERE resolved_at IS NULL"))
    return client, ann, bob, fid, ids, old


def next_run(client, db, db_url, run_id, settings=DEFAULT):
    pulled = pull(client, db, db_url, run_id, ("people", "households"))
    return pulled, push_people(db, client, run_id, settings), push_families(db, client, run_id)


def test_keep_leaves_the_records_here_unlinked_and_never_creates_them(db, db_url, sim, removed):
    client, ann, bob, fid, ids, old = removed
    db.execute("SELECT sync.resolve_removed(%s, 'keep', 'erin')", (ids["person"],))
    db.execute("SELECT sync.resolve_removed_records(%s, 'keep', 'erin')", ([ids["family"]],))
    db.commit()
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", ann) is None
    assert value(db, "SELECT count(*) FROM church.phone_numbers WHERE person_id = %s "
                     "AND pco_id IS NULL", ann) == 1
    assert value(db, "SELECT count(*) FROM sync.agreed_people WHERE person_id = %s", ann) == 0
    assert value(db, "SELECT pco_id FROM church.families WHERE id = %s", fid) is None
    assert value(db, "SELECT count(*) FROM sync.removed_in_pco WHERE resolved_at IS NULL") == 0
    pulled, people, families = next_run(client, db, db_url, "run-2")
    assert people["skipped_reasons"] == {"kept local (removed in PCO)": 1}
    assert families["skipped_reasons"] == {"kept local (removed in PCO)": 1}
    assert people["created"] == families["created"] == 0
    assert pulled["people"]["removed"] == pulled["families"]["removed"] == 0
    assert len(sim.store.tables["people"]) == 2 and sim.store.tables["households"] == {}
    assert audit(db) == [("erin", "removed:keep", "person", ann, old["person"], None, ids["person"]),
                         ("erin", "removed:keep", "family", fid, old["family"], None, ids["family"])]
    before, after = value(db, "SELECT before, after FROM sync.resolution_log WHERE entity = 'person'")
    assert before["reason"] == "absent from full snapshot"
    assert before["record"]["pco_id"] == old["person"] and after["record"]["pco_id"] is None


def test_delete_removes_them_here_with_what_hangs_off_them(db, db_url, sim, removed):
    client, ann, bob, fid, ids, old = removed
    db.execute("SELECT sync.resolve_removed(%s, 'delete')", (ids["person"],))
    db.execute("SELECT sync.resolve_removed(%s, 'delete')", (ids["family"],))
    db.commit()
    assert value(db, "SELECT count(*) FROM church.people WHERE id = %s", ann) == 0
    assert value(db, "SELECT count(*) FROM church.phone_numbers WHERE person_id = %s", ann) == 0
    assert value(db, "SELECT count(*) FROM church.families WHERE id = %s", fid) == 0
    assert value(db, "SELECT count(*) FROM church.people WHERE id = %s", bob) == 1  # people stay
    assert value(db, "SELECT (SELECT count(*) FROM sync.agreed_contacts WHERE person_id = %s)"
                     " + (SELECT count(*) FROM sync.agreed_family_members"
                     "     WHERE person_pco_id = %s)", ann, old["person"]) == 0
    pulled, people, families = next_run(client, db, db_url, "run-2")
    assert people["requests"] == families["requests"] == 0
    assert pulled["people"]["removed"] == 0 and pulled["people"]["created"] == 0
    assert [a for _, a, *_ in audit(db)] == ["removed:delete", "removed:delete"]
    assert value(db, "SELECT after -> 'record' FROM sync.resolution_log WHERE entity = 'family'") is None


def test_recreate_creates_them_again_in_pco_with_contacts_whatever_the_scope(db, db_url, sim,
                                                                             removed):
    client, ann, bob, fid, ids, old = removed
    assert value(db, "SELECT sync.resolve_removed_records(%s, 'recreate')",
                 [ids["person"], ids["family"]]) == 2
    db.commit()
    # Ann has no email and is in no sync group: the usual rules would not create her
    scoped = PushSettings(scope="sync_groups", sync_groups=("Choir",))
    _, people, families = next_run(client, db, db_url, "run-2", scoped)
    assert people["created"] == 1 and families["created"] == 1
    new = value(db, "SELECT pco_id FROM church.people WHERE id = %s", ann)
    assert new not in (None, old["person"])
    assert [p["number"] for p in sim.store.children("phone_numbers", "person_id", new)] == [
        "614-555-0100"]
    hid = value(db, "SELECT pco_id FROM church.families WHERE id = %s", fid)
    assert hid not in (None, old["family"])
    assert {m["person_id"] for m in sim.store.children("household_memberships", "household_id",
                                                        hid)} == {new, value(
        db, "SELECT pco_id FROM church.people WHERE id = %s", bob)}
    # and then all is quiet: a full pull and push find both sides agreeing
    pulled, people, families = next_run(client, db, db_url, "run-3", scoped)
    assert people["requests"] == families["requests"] == 0
    assert pulled["people"]["created"] == pulled["people"]["conflicts"] == 0
    assert pulled["families"]["created"] == pulled["families"]["removed"] == 0


def test_bad_removal_choices_are_refused_and_change_nothing(db, removed):
    _, ann, _, _, ids, old = removed
    gid = value(db, "INSERT INTO sync.removed_in_pco (entity, local_id, pco_id, reason, run_id) "
                    "VALUES ('group', 7, '70', 'absent from full snapshot; 404 when asked', 'r') "
                    "RETURNING id")
    db.commit()
    refused(db, "SELECT sync.resolve_removed(%s, 'forget')", psycopg.errors.InvalidParameterValue,
            "choice must be keep, delete or recreate", ids["person"])
    refused(db, "SELECT sync.resolve_removed(999999, 'keep')", psycopg.errors.NoDataFound,
            "no record removed in PCO with id 999999")
    refused(db, "SELECT sync.resolve_removed(%s, 'recreate')", psycopg.errors.FeatureNotSupported,
            "a group PCO no longer has is kept", gid)
    db.execute("UPDATE sync.removed_in_pco SET reason = 'merged in PCO into 5, which is linked "
               "to local person 9' WHERE id = %s", (ids["person"],))
    db.commit()
    refused(db, "SELECT sync.resolve_removed(%s, 'recreate')", psycopg.errors.InvalidParameterValue,
            "merge the two local people", ids["person"])
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", ann) == old["person"]
    assert value(db, "SELECT count(*) FROM sync.removed_in_pco WHERE resolved_at IS NULL") == 3
    db.execute("SELECT sync.resolve_removed(%s, 'keep')", (gid,))  # a group is only kept
    db.commit()
    refused(db, "SELECT sync.resolve_removed(%s, 'delete')", psycopg.errors.InvalidParameterValue,
            "already resolved", gid)
    assert [a for _, a, *_ in audit(db)] == ["removed:keep"]


# ---- push failures --------------------------------------------------------------------------
@pytest.fixture
def failure(db, sim):
    """Gender 'X' refused by PCO when creating Bad Gender: (client, person id, failure id)."""
    pid = local_person(db, "Bad", "Gender", email="bad@example.org", gender="X")
    client = client_for(sim)
    assert push_people(db, client, "run-1", DEFAULT)["failed"] == 1
    return client, pid, value(db, "SELECT id FROM sync.push_failures WHERE resolved_at IS NULL")


def test_retry_sends_it_with_the_next_push_not_after_the_backoff(db, sim, failure):
    client, pid, fid = failure
    assert push_people(db, client, "run-2", DEFAULT)["requests"] == 0  # backing off
    db.execute("SELECT sync.retry_push_failures(%s, 'finn')", ([fid],))
    db.commit()
    counts = push_people(db, client, "run-3", DEFAULT)
    assert (counts["requests"], counts["failed"]) == (1, 1)  # sent, refused again
    assert value(db, "SELECT attempts, resolved_at IS NULL FROM sync.push_failures "
                     "WHERE id = %s", fid) == (2, True)
    db.execute("UPDATE church.people SET gender = 'F' WHERE id = %s", (pid,))
    db.execute("SELECT sync.retry_push_failure(%s)", (fid,))
    db.commit()
    assert push_people(db, client, "run-4", DEFAULT)["created"] == 1
    assert value(db, "SELECT resolution FROM sync.push_failures WHERE id = %s", fid) is None
    assert audit(db)[0] == ("finn", "push_failure:retry", "person", pid, None, "create", fid)
    assert len(audit(db)) == 2


def test_dismiss_stops_sending_that_write_until_the_record_changes(db, sim, failure):
    client, pid, fid = failure
    db.execute("SELECT sync.dismiss_push_failure(%s, 'finn')", (fid,))
    db.commit()
    assert value(db, "SELECT resolution, resolved_by, resolved_at IS NOT NULL "
                     "FROM sync.push_failures WHERE id = %s", fid) == ("dismissed", "finn", True)
    counts = push_people(db, client, "run-2", DEFAULT, full_push=True)  # not even a full push
    assert counts["requests"] == 0 and counts["skipped_reasons"] == {"dismissed by staff": 1}
    assert value(db, "SELECT count(*) FROM sync.push_failures WHERE resolved_at IS NULL") == 0

    db.execute("UPDATE church.people SET nickname = 'B' WHERE id = %s", (pid,))  # changed again
    db.commit()
    counts = push_people(db, client, "run-3", DEFAULT)
    assert (counts["requests"], counts["failed"]) == (1, 1)  # sent; still refused: new failure
    new = value(db, "SELECT id FROM sync.push_failures WHERE resolved_at IS NULL")
    assert new != fid
    assert value(db, "SELECT dismissed_write FROM sync.push_failures WHERE id = %s", fid) is None
    [(action, field, after)] = db.execute("SELECT action, field, after FROM sync.resolution_log")
    assert (action, field) == ("push_failure:dismiss", "create")
    assert after["write"]["sent"]["gender"] == "X"

    db.execute("SELECT sync.dismiss_push_failures(%s)", ([new],))
    db.execute("UPDATE church.people SET gender = 'M' WHERE id = %s", (pid,))
    db.commit()
    assert push_people(db, client, "run-4", DEFAULT)["created"] == 1


def test_unknown_or_resolved_push_failures_are_refused(db, failure):
    _, _, fid = failure
    for call in ("SELECT sync.retry_push_failure(999999)",
                 "SELECT sync.dismiss_push_failure(999999)"):
        refused(db, call, psycopg.errors.NoDataFound, "no push failure 999999")
    due = value(db, "SELECT retry_after FROM sync.push_failures WHERE id = %s", fid)
    refused(db, "SELECT sync.dismiss_push_failures(ARRAY[%s, 999999]::bigint[])",
            psycopg.errors.NoDataFound, "999999", fid)
    assert value(db, "SELECT retry_after, resolved_at FROM sync.push_failures WHERE id = %s",
                 fid) == (due, None)
    db.execute("SELECT sync.dismiss_push_failure(%s)", (fid,))
    db.commit()
    for call in ("SELECT sync.retry_push_failure(%s)", "SELECT sync.dismiss_push_failure(%s)"):
        refused(db, call, psycopg.errors.InvalidParameterValue, "already resolved", fid)
    assert len(audit(db)) == 1


# ---- family match reviews -------------------------------------------------------------------
@pytest.fixture
def family_review(db, db_url, sim):
    """Ann Lee (in PCO) belongs to two local families not in PCO; PCO's household with Ann as
    primary contact waits in review with both as candidates. (client, review id, household
    id, [families])."""
    ann = local_person(db, "Ann", "Lee")
    client = client_for(sim)
    push_people(db, client, "run-0", PushSettings(require_email=False))
    ann_pco = value(db, "SELECT pco_id FROM church.people WHERE id = %s", ann)
    families = []
    for name in ("Lee Family", "Lees (old)"):
        families.append(value(db, "INSERT INTO church.families (name, primary_contact_id) "
                                  "VALUES (%s, %s) RETURNING id", name, ann))
        db.execute("INSERT INTO church.family_members VALUES (%s, %s)", (families[-1], ann))
    db.commit()
    hh = sim.store.create_household("The Lees", [ann_pco], ann_pco)
    assert pull(client, db, db_url, "pull-1", ("households",))["families"]["needs_review"] == 1
    rid = value(db, "SELECT id FROM sync.match_review WHERE entity = 'family' "
                    "AND resolved_at IS NULL")
    return client, rid, hh["id"], families


def test_a_family_review_linked_to_a_candidate(db, db_url, sim, family_review):
    client, rid, hid, (_, old) = family_review
    db.execute("SELECT sync.resolve_match(%s, %s, 'gus')", (rid, old))
    db.commit()
    counts = pull(client, db, db_url, "run-2", ("households",))["families"]
    assert counts["needs_review"] == 0 and counts["created"] == 0 and counts["updated"] == 1
    assert value(db, "SELECT pco_id FROM church.families WHERE id = %s", old) == hid
    assert value(db, "SELECT resolved_at IS NOT NULL FROM sync.match_review WHERE id = %s", rid)
    assert audit(db) == [("gus", "match:link", "family", old, hid, None, rid)]
    assert pull(client, db, db_url, "run-3", ("households",))["families"]["unchanged"] == 1


def test_a_family_review_created_or_ignored(db, db_url, sim, family_review):
    client, rid, hid, families = family_review
    db.execute("SELECT sync.resolve_family_match(%s, NULL)", (rid,))
    db.commit()
    counts = pull(client, db, db_url, "run-2", ("households",))["families"]
    assert counts["created"] == 1 and counts["needs_review"] == 0
    assert value(db, "SELECT count(*) FROM church.families WHERE id = ANY (%s) "
                     "AND pco_id IS NULL", families) == 2
    assert value(db, "SELECT name FROM church.families WHERE pco_id = %s", hid) == "The Lees"

    # a second household of Ann's, ignored: not asked again while the candidates stay
    ann_pco = value(db, "SELECT pco_id FROM church.people")
    sim.store.create_household("Lees again", [ann_pco], ann_pco)
    assert pull(client, db, db_url, "run-3", ("households",))["families"]["needs_review"] == 1
    again = value(db, "SELECT id FROM sync.match_review WHERE resolved_at IS NULL")
    assert value(db, "SELECT sync.ignore_matches(%s)", [again]) == 1
    db.commit()
    counts = pull(client, db, db_url, "run-4", ("households",))["families"]
    assert counts["needs_review"] == 0 and counts["created"] == 0
    assert value(db, "SELECT count(*) FROM sync.match_review WHERE resolved_at IS NULL") == 0
    assert [a for _, a, e, *_ in audit(db)] == ["match:create", "match:ignore"]


def test_bad_family_decisions_are_refused(db, family_review):
    _, rid, _, (lee, old) = family_review
    refused(db, "SELECT sync.resolve_match(%s, 999999)", psycopg.errors.InvalidParameterValue,
            "family 999999 is not a candidate", rid)
    db.execute("UPDATE church.families SET pco_id = '4242' WHERE id = %s", (lee,))
    refused(db, "SELECT sync.resolve_family_match(%s, %s)", psycopg.errors.InvalidParameterValue,
            "linked to PCO household 4242", rid, lee)
    assert value(db, "SELECT decision FROM sync.match_review WHERE id = %s", rid) is None
    assert value(db, "SELECT sync.resolve_matches(%s, NULL)", [rid]) == 1
    db.commit()
    assert value(db, "SELECT decision FROM sync.match_review WHERE id = %s", rid) == "create"
    assert audit(db)[0][1:3] == ("match:create", "family")
