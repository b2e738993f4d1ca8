"""remote_id as evidence (issue 22), against the simulator over HTTP and real PostgreSQL: a
PCO person the push created from a local person whose save was lost is linked to that
person by the next pull, whatever else matches; a remote_id naming a local person linked
elsewhere or deleted here is a review; one pco-sync never sent is no evidence; and the
duplicates an earlier version made are repaired (folded, or reviewed when edited here)."""
from __future__ import annotations

from pathlib import Path

import pytest

from push_helpers import DEFAULT, client_for, local_person, pco_people, pull, push_people, value

ROOT = Path(__file__).resolve().parents[2]
DUPLICATE = "duplicate of the local person its remote_id names"


class Crash(Exception):
    pass


def lost_save(db, sim, first="Crashy", last="Person", email="crashy@example.org") -> tuple[int, dict]:
    """A local person whose create PCO accepted and whose save a crash lost: (local id, the
    PCO person). PCO has no email for them: the crash came before the email's create."""
    pid = local_person(db, first, last, email=email)

    def die(op, result):
        raise Crash("the worker died after PCO's answer")
    with pytest.raises(Crash):
        push_people(db, client_for(sim), "run-1", DEFAULT, after_send=die)
    db.rollback()
    [person] = pco_people(sim, remote_id=pid)
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid) is None
    return pid, person


def people(db) -> list[tuple]:
    return db.execute("SELECT id, pco_id, first_name FROM church.people ORDER BY id").fetchall()


def reviews(db) -> list[tuple]:
    return db.execute("SELECT pco_id, reason, candidates FROM sync.match_review "
                      "WHERE resolved_at IS NULL ORDER BY id").fetchall()


def test_a_lost_save_is_linked_by_remote_id_whatever_else_matches(db, db_url, sim):
    pid, person = lost_save(db, sim)
    # renamed in PCO since: no email, no name + birthdate to match on, only the remote_id
    sim.store.update("people", person["id"], {"first_name": "Chrissy"})
    counts = pull(client_for(sim), db, db_url, "run-2")
    assert people(db) == [(pid, person["id"], "Chrissy")]
    assert counts["people"]["created"] == 0 and reviews(db) == []
    # the push then sends only the email; the journal and nothing else is left
    again = push_people(db, client_for(sim), "run-2", DEFAULT)
    assert (again["created"], again["failed"]) == (0, 0)
    assert [e["address"] for e in sim.store.children("emails", "person_id", person["id"])] == [
        "crashy@example.org"]
    assert value(db, "SELECT count(*) FROM sync.push_pending") == 0
    assert value(db, "SELECT count(*) FROM sync.push_failures") == 0


def test_remote_id_naming_a_person_linked_to_another_pco_person_is_a_review(db, db_url, sim):
    pid = local_person(db)
    push_people(db, client_for(sim), "run-1", DEFAULT)
    linked = value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid)
    twin = sim.store.insert("people", {"first_name": "Someone", "last_name": "Else",
                                       "remote_id": pid, "status": "active"})
    pull(client_for(sim), db, db_url, "run-2")
    assert people(db) == [(pid, linked, "Ann")]  # no new local person
    assert reviews(db) == [(twin["id"], "remote_id names a local person linked to another PCO "
                                        "person", [pid])]


def test_remote_id_naming_a_person_deleted_here_is_a_review(db, db_url, sim):
    pid, person = lost_save(db, sim)
    db.execute("DELETE FROM church.people WHERE id = %s", (pid,))
    db.commit()
    pull(client_for(sim), db, db_url, "run-2")
    assert people(db) == []
    assert reviews(db) == [(person["id"], "remote_id names a local person deleted here", [])]
    # staff choose to create them here: the next merge does
    review = value(db, "SELECT id FROM sync.match_review WHERE resolved_at IS NULL")
    db.execute("SELECT sync.resolve_match(%s, NULL, 'staff@church')", (review,))
    db.commit()
    pull(client_for(sim), db, db_url, "run-3")
    [(_, pco_id, first)] = people(db)
    assert (pco_id, first) == (person["id"], "Crashy") and reviews(db) == []


def test_a_remote_id_pco_sync_never_sent_is_no_evidence(db, db_url, sim):
    """An import from another system set remote_ids: one that happens to be a local id of
    someone the push never created links nobody."""
    held = local_person(db, "Held", "Back", email=None)  # no email: never pushed
    imported = sim.store.insert("people", {"first_name": "Imported", "last_name": "Person",
                                           "remote_id": held, "status": "active"})
    pull(client_for(sim), db, db_url, "run-1")
    rows = people(db)
    assert (held, None, "Held") in rows
    assert [r for r in rows if r[0] != held] == [(rows[-1][0], imported["id"], "Imported")]
    assert reviews(db) == []


# ---- repairing what an earlier version did --------------------------------------------------
def made_by_an_earlier_version(db, db_url, sim) -> tuple[int, int, dict, str]:
    """The state issue 22 found: the original unlinked, a duplicate the pull created from
    its PCO person (here with a phone and a Youth membership PCO added), the push's failure
    "already linked"; then this version's migration. (original, duplicate, PCO person, PCO
    group id)."""
    pid, person = lost_save(db, sim)
    sim.store.insert("phone_numbers", {"person_id": person["id"], "number": "555-0199",
                                       "location": "Mobile", "primary": True})
    gid = sim.store.insert("groups", {"name": "Youth", "archived_at": None})["id"]
    sim.store.add_group_member(gid, person["id"])
    db.execute("DELETE FROM sync.sent_creates")  # an earlier version kept no such record
    db.commit()
    pull(client_for(sim), db, db_url, "run-2", ("people", "groups"))
    [dup] = [i for i, *_ in people(db) if i != pid]
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", dup) == person["id"]
    counts = push_people(db, client_for(sim), "run-2", DEFAULT)
    assert counts["failed"] == 1 and "already linked to local person" in value(
        db, "SELECT detail FROM sync.push_failures WHERE resolved_at IS NULL")
    db.execute((ROOT / "include/sql/schema/076_sync_sent_creates.sql").read_text())  # backfill
    db.commit()
    return pid, dup, person, gid


def test_an_unedited_duplicate_is_folded_into_the_original(db, db_url, sim):
    pid, dup, person, gid = made_by_an_earlier_version(db, db_url, sim)
    pull(client_for(sim), db, db_url, "run-3", ())  # the next run, whatever it reads
    with db.transaction():
        from pipeline import merge_people
        merge_people(db, "run-3")
    assert people(db) == [(pid, person["id"], "Crashy")]
    assert db.execute("SELECT number, pco_id IS NOT NULL FROM church.phone_numbers "
                      "WHERE person_id = %s", (pid,)).fetchall() == [("555-0199", True)]
    assert value(db, "SELECT address FROM church.emails WHERE person_id = %s", pid) == \
        "crashy@example.org"
    assert value(db, "SELECT count(*) FROM church.group_memberships WHERE person_id = %s "
                     "AND pco_id IS NOT NULL", pid) == 1
    # what the original sent is not known: agreed anew when PCO's record is next read
    assert value(db, "SELECT count(*) FROM sync.agreed_people") == 0
    [(actor, action, local_id, before)] = db.execute(
        "SELECT actor, action, local_id, before FROM sync.resolution_log").fetchall()
    assert (actor, action, local_id) == ("pco_sync", "repair:fold duplicate", pid)
    assert before["folded"]["id"] == dup
    assert value(db, "SELECT decided_by FROM sync.match_review WHERE reason = %s",
                 DUPLICATE) == "pco_sync"
    assert reviews(db) == []
    pull(client_for(sim), db, db_url, "run-4")
    assert value(db, "SELECT person_id FROM sync.agreed_people") == pid
    assert value(db, "SELECT count(*) FROM sync.conflicts") == 0
    # the push sends the original's email to its PCO person and the failure is over
    counts = push_people(db, client_for(sim), "run-4", DEFAULT)
    assert (counts["created"], counts["failed"]) == (0, 0)
    assert len(pco_people(sim)) == 1
    assert len(sim.store.children("emails", "person_id", person["id"])) == 1
    assert value(db, "SELECT count(*) FROM sync.push_failures WHERE resolved_at IS NULL") == 0


@pytest.mark.parametrize("keep", ["original", "duplicate"])
def test_an_edited_duplicate_is_a_review_and_staff_keep_one(db, db_url, sim, keep):
    pid, dup, person, gid = made_by_an_earlier_version(db, db_url, sim)
    db.execute("UPDATE church.people SET nickname = 'Cris' WHERE id = %s", (dup,))
    db.commit()
    pull(client_for(sim), db, db_url, "run-3")
    assert [i for i, *_ in people(db)] == [pid, dup]
    assert reviews(db) == [(person["id"], DUPLICATE, [pid, dup])]
    counts = push_people(db, client_for(sim), "run-3", DEFAULT)
    assert counts["skipped_reasons"] == {"in match review": 1} and len(pco_people(sim)) == 1
    pull(client_for(sim), db, db_url, "run-4")  # waits for staff
    assert reviews(db) == [(person["id"], DUPLICATE, [pid, dup])]

    kept = pid if keep == "original" else dup
    review = value(db, "SELECT id FROM sync.match_review WHERE resolved_at IS NULL")
    db.execute("SELECT sync.resolve_match(%s, %s, 'staff@church')", (review, kept))
    db.commit()
    pull(client_for(sim), db, db_url, "run-5")
    assert people(db) == [(kept, person["id"], "Crashy")]
    # kept the original: its empty nickname takes the one PCO got from the duplicate
    assert value(db, "SELECT nickname FROM church.people") == "Cris"
    assert value(db, "SELECT count(*) FROM church.emails WHERE person_id = %s", kept) == 1
    assert value(db, "SELECT count(*) FROM church.phone_numbers WHERE person_id = %s", kept) == 1
    assert value(db, "SELECT count(*) FROM church.group_memberships WHERE person_id = %s",
                 kept) == 1
    assert db.execute("SELECT actor, action, local_id FROM sync.resolution_log "
                      "WHERE action LIKE 'repair:%%'").fetchall() == [
        ("staff@church", "repair:fold duplicate", kept)]
    assert reviews(db) == []
    push_people(db, client_for(sim), "run-5", DEFAULT)
    assert len(pco_people(sim)) == 1
    assert value(db, "SELECT count(*) FROM sync.push_failures WHERE resolved_at IS NULL") == 0


def test_staff_may_keep_both_and_the_original_is_created_anew(db, db_url, sim):
    pid, dup, person, _ = made_by_an_earlier_version(db, db_url, sim)
    db.execute("UPDATE church.people SET nickname = 'Cris' WHERE id = %s", (dup,))
    db.commit()
    pull(client_for(sim), db, db_url, "run-3")
    review = value(db, "SELECT id FROM sync.match_review WHERE resolved_at IS NULL")
    db.execute("SELECT sync.resolve_match(%s, NULL, 'staff@church')", (review,))
    db.commit()
    pull(client_for(sim), db, db_url, "run-4")
    counts = push_people(db, client_for(sim), "run-4", DEFAULT)
    assert (counts["created"], counts["failed"]) == (1, 0)
    new = value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid)
    assert new not in (None, person["id"])
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", dup) == person["id"]
    pull(client_for(sim), db, db_url, "run-5")
    assert reviews(db) == [] and len(people(db)) == 2
    assert value(db, "SELECT count(*) FROM sync.push_failures WHERE resolved_at IS NULL") == 0
