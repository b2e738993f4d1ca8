"""Match reviews decided by staff through sync.resolve_match and sync.ignore_match, end to
end against the simulator and real PostgreSQL: link to a candidate, create as new, ignore;
a decision takes effect on the next run even when that run does not read the PCO person;
every decision audited; bad input refused with nothing changed."""
from __future__ import annotations

import psycopg
import pytest

from pipeline import merge_resource
from push_helpers import DEFAULT, client_for, local_person, pull, push_people, value


@pytest.fixture
def review(db, db_url, sim):
    """Two local Sam Roes born the same day, and one in PCO (another email): the PCO person
    waits in review with both as candidates. (client, review id, PCO id, [candidates])."""
    twins = [local_person(db, "Sam", "Roe", email=f"sam{i}@example.org", birthdate="1990-05-05")
             for i in (1, 2)]
    person = sim.store.insert("people", {"first_name": "Sam", "last_name": "Roe",
                                         "birthdate": "1990-05-05", "status": "active",
                                         "child": False})
    sim.store.insert("emails", {"person_id": person["id"], "address": "sam@pco.example.org",
                                "location": "Home", "primary": True, "blocked": False})
    client = client_for(sim)
    assert pull(client, db, db_url, "pull-1")["people"]["needs_review"] == 1
    rid = value(db, "SELECT id FROM sync.match_review WHERE resolved_at IS NULL")
    assert value(db, "SELECT candidates FROM sync.match_review WHERE id = %s", rid) == twins
    return client, rid, person["id"], twins


def test_link_takes_effect_on_a_run_that_does_not_read_the_person(db, db_url, sim, review):
    client, rid, pco_id, (_, sam2) = review
    db.execute("SELECT sync.resolve_match(%s, %s, 'carol')", (rid, sam2))
    db.commit()
    # decided, not applied yet: the row stays open until the merge links
    assert value(db, "SELECT decision, resolved_at IS NULL FROM sync.match_review "
                     "WHERE id = %s", rid) == ("link", True)
    counts = merge_resource(db_url, "people", "run-2")["people"]  # nothing extracted
    db.commit()
    assert counts["updated"] == 1 and counts["needs_review"] == 0
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", sam2) == pco_id
    assert value(db, "SELECT resolved_at IS NOT NULL FROM sync.match_review WHERE id = %s", rid)
    assert value(db, "SELECT count(*) FROM sync.agreed_people WHERE person_id = %s", sam2) == 1
    emails = {r[0] for r in db.execute("SELECT address FROM church.emails WHERE person_id = %s",
                                       (sam2,))}
    assert emails == {"sam2@example.org", "sam@pco.example.org"}  # merged as usual
    # the push sends the local email to the linked PCO person, and a full pull finds peace
    push_people(db, client, "run-2", DEFAULT)
    pco_emails = {e["address"] for e in sim.store.children("emails", "person_id", pco_id)}
    assert pco_emails == {"sam2@example.org", "sam@pco.example.org"}
    counts = pull(client, db, db_url, "run-3")["people"]
    assert (counts["needs_review"], counts["created"], counts["conflicts"]) == (0, 0, 0)
    assert value(db, "SELECT count(*) FROM church.people") == 2
    assert value(db, "SELECT actor, action, local_id, pco_id, after ->> 'decision' "
                     "FROM sync.resolution_log") == ("carol", "match:link", sam2, pco_id, "link")


def test_create_makes_a_new_local_person(db, db_url, sim, review):
    client, rid, pco_id, twins = review
    db.execute("SELECT sync.resolve_match(%s, NULL)", (rid,))
    db.commit()
    counts = pull(client, db, db_url, "run-2")["people"]
    assert counts["created"] == 1 and counts["needs_review"] == 0
    new = value(db, "SELECT id FROM church.people WHERE pco_id = %s", pco_id)
    assert new not in twins
    assert value(db, "SELECT count(*) FROM church.people WHERE id = ANY (%s) "
                     "AND pco_id IS NULL", twins) == 2
    assert value(db, "SELECT resolved_at IS NOT NULL FROM sync.match_review WHERE id = %s", rid)
    assert pull(client, db, db_url, "run-3")["people"]["needs_review"] == 0
    assert value(db, "SELECT count(*) FROM sync.match_review WHERE resolved_at IS NULL") == 0
    history = db.execute("SELECT action FROM sync.resolution_history('person', NULL, %s)",
                         (pco_id,)).fetchall()
    assert history == [("match:create",)]


def test_ignore_resolves_now_and_is_not_asked_again(db, db_url, sim, review):
    client, rid, pco_id, twins = review
    db.execute("SELECT sync.ignore_match(%s)", (rid,))
    db.commit()
    assert value(db, "SELECT decision, resolved_at IS NOT NULL FROM sync.match_review "
                     "WHERE id = %s", rid) == ("ignore", True)
    counts = pull(client, db, db_url, "run-2")["people"]
    assert (counts["needs_review"], counts["created"]) == (0, 0)
    assert value(db, "SELECT count(*) FROM sync.match_review WHERE resolved_at IS NULL") == 0
    assert value(db, "SELECT count(*) FROM church.people WHERE pco_id = %s", pco_id) == 0
    # a new candidate changes what staff saw: asked again
    third = local_person(db, "Sam", "Roe", email="sam3@example.org", birthdate="1990-05-05")
    assert pull(client, db, db_url, "run-3")["people"]["needs_review"] == 1
    assert value(db, "SELECT candidates FROM sync.match_review WHERE resolved_at IS NULL") == [
        *twins, third]


@pytest.mark.parametrize("call, error, message", [
    ("SELECT sync.resolve_match(999999, NULL)", psycopg.errors.NoDataFound, "no match review 999999"),
    ("SELECT sync.ignore_match(999999)", psycopg.errors.NoDataFound, "no match review 999999"),
    ("SELECT sync.resolve_match({rid}, 999999)", psycopg.errors.InvalidParameterValue,
     "not a candidate"),
])
def test_bad_input_is_refused_and_changes_nothing(db, review, call, error, message):
    _, rid, _, _ = review
    with pytest.raises(error, match=message):
        db.execute(call.format(rid=rid))
    db.rollback()
    assert value(db, "SELECT decision FROM sync.match_review WHERE id = %s", rid) is None
    assert value(db, "SELECT count(*) FROM sync.resolution_log") == 0


def test_a_linked_candidate_or_a_resolved_review_is_refused(db, review):
    _, rid, _, (sam1, sam2) = review
    db.execute("UPDATE church.people SET pco_id = '77777777' WHERE id = %s", (sam1,))
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="linked to PCO person 77777777"):
        db.execute("SELECT sync.resolve_match(%s, %s)", (rid, sam1))
    db.rollback()
    db.execute("SELECT sync.ignore_match(%s)", (rid,))
    db.commit()
    for call in (f"SELECT sync.resolve_match({rid}, {sam2})", f"SELECT sync.ignore_match({rid})"):
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="already resolved"):
            db.execute(call)
        db.rollback()
    assert value(db, "SELECT count(*) FROM sync.resolution_log") == 1
    assert value(db, "SELECT decision FROM sync.match_review WHERE id = %s", rid) == "ignore"


def test_a_review_still_waiting_is_open_not_found_again(db, db_url, sim, review):
    """The run's needing-review count is what the run found, as the summary's "found by this
    run" says; a review left waiting as it was is only "open now"."""
    from pco_sync import summary

    client, rid, _, _ = review
    assert pull(client, db, db_url, "run-2")["people"]["needs_review"] == 0
    reviews = next(i for i in summary.open_items(db, "run-2") if i["kind"] == "match reviews")
    assert (reviews["this_run"], reviews["open_now"]) == (0, 1)
    assert value(db, "SELECT run_id FROM sync.match_review WHERE id = %s", rid) == "pull-1"
