"""When the push looks in PCO before a create (push/lookups.py, push/sender.py): only where
the journal (sync.push_pending) shows an earlier attempt that may have reached PCO, or this
very request got a "maybe applied" error. Everything else costs exactly its writes; the
dry run lists exactly those requests. Against the simulator over HTTP and real PostgreSQL."""
from __future__ import annotations

from urllib.parse import unquote

import pytest

from push_helpers import DEFAULT, client_for, local_person, pco_people, push_people, value

RUN = "run-1"


def requests_since(sim, before: int) -> list[tuple[str, str, str]]:
    """(method, path, query) of every request the simulator answered after `before`."""
    return [(r["method"], r["path"], unquote(r["query"] or ""))
            for r in list(sim.sim.requests)[before:]]


def test_new_person_with_two_contacts_costs_three_requests(db, sim):
    pid = local_person(db, phones=[("555-0100", "Mobile")])
    client = client_for(sim)
    counts = push_people(db, client, RUN, DEFAULT)
    [person] = pco_people(sim, remote_id=pid)
    assert [(m, p) for m, p, _ in requests_since(sim, 0)] == [
        ("POST", "/people/v2/people"),
        ("POST", f"/people/v2/people/{person['id']}/emails"),
        ("POST", f"/people/v2/people/{person['id']}/phone_numbers")]
    assert counts["requests"] == client.stats.requests == 3
    assert counts["created"] == 1
    assert value(db, "SELECT count(*) FROM sync.push_pending") == 0  # every outcome known


def test_dry_run_lists_exactly_the_requests_the_push_sends(db, sim):
    pid = local_person(db, phones=[("555-0100", "Mobile")])
    client = client_for(sim)
    dry = push_people(db, client, RUN, DEFAULT, dry_run=True)
    db.rollback()
    push_people(db, client, RUN, DEFAULT)
    pco_id = value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid)
    listed = [(o["method"], o["path"].replace(f"dry-run:person:{pid}", pco_id))
              for o in dry["operations"]]
    assert len(listed) == 3 and listed == [(m, p) for m, p, _ in requests_since(sim, 0)]


def test_dry_run_after_a_crash_lists_the_lookup_first(db, sim):
    pid = local_person(db)

    def crash(op, result):
        raise RuntimeError("worker died after the create")
    with pytest.raises(RuntimeError):
        push_people(db, client_for(sim), RUN, DEFAULT, after_send=crash)
    db.rollback()
    dry = push_people(db, client_for(sim), "run-2", DEFAULT, dry_run=True)
    assert [(o["method"], o["path"]) for o in dry["operations"]][:2] == [
        ("GET", f"/people/v2/people?where[remote_id]={pid}"), ("POST", "/people/v2/people")]


def test_create_without_an_answer_stays_journaled_and_its_retry_looks_first(db, sim):
    """A 503 on a create may hide a write: the journal row stays, and the retry (here a
    manual full push, past the backoff) looks by remote_id before sending."""
    pid = local_person(db)
    sim.sim.faults.add({"kind": "error", "status": 503, "path": "/people/v2/people",
                        "method": "POST", "count": 3})
    client = client_for(sim)
    counts = push_people(db, client, RUN, DEFAULT)
    assert (counts["created"], counts["failed"]) == (0, 1)
    assert value(db, "SELECT status FROM sync.push_failures WHERE key = %s", str(pid)) == 503
    assert value(db, "SELECT key FROM sync.push_pending") == str(pid)

    before = len(sim.sim.requests)
    again = push_people(db, client, "run-2", DEFAULT, full_push=True)
    assert requests_since(sim, before)[:2] == [
        ("GET", "/people/v2/people", f"where[remote_id]={pid}"),
        ("POST", "/people/v2/people", "")]
    assert (again["created"], again["failed"], again["requests"]) == (1, 0, 3)
    assert len(pco_people(sim, remote_id=pid)) == 1
    assert value(db, "SELECT count(*) FROM sync.push_pending") == 0


def test_refused_create_is_not_journaled_and_its_retry_sends_only_the_create(db, sim):
    pid = local_person(db, gender="X")  # PCO refuses the gender: 422
    client = client_for(sim)
    assert push_people(db, client, RUN, DEFAULT)["failed"] == 1
    assert value(db, "SELECT count(*) FROM sync.push_pending") == 0
    db.execute("UPDATE church.people SET gender = 'F' WHERE id = %s", (pid,))
    db.commit()
    before = len(sim.sim.requests)
    counts = push_people(db, client, "run-2", DEFAULT, full_push=True)
    assert [m for m, _, _ in requests_since(sim, before)] == ["POST", "POST"]  # person, email
    assert counts["created"] == 1 and len(pco_people(sim, remote_id=pid)) == 1


def test_a_failed_lookup_keeps_the_journal_row(db, sim):
    """After a crash, PCO fails the lookup itself: the push cannot tell whether the earlier
    attempt landed, so the row stays and the next run looks again instead of creating."""
    pid = local_person(db)

    def crash(op, result):
        raise RuntimeError("worker died after the create")
    with pytest.raises(RuntimeError):
        push_people(db, client_for(sim), RUN, DEFAULT, after_send=crash)
    db.rollback()
    sim.sim.faults.add({"kind": "error", "status": 503, "path": "/people/v2/people",
                        "method": "GET"})
    counts = push_people(db, client_for(sim, max_retries=1), "run-2", DEFAULT)
    assert counts["failed"] == 1
    assert value(db, "SELECT key FROM sync.push_pending") == str(pid)

    sim.sim.faults.clear()
    again = push_people(db, client_for(sim), "run-3", DEFAULT, full_push=True)
    [person] = pco_people(sim, remote_id=pid)  # found, not created a second time
    assert again["created"] == 1
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid) == person["id"]
