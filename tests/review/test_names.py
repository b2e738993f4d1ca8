"""The PCO Sync page names records as a person knows them (sync.record_name, migration
078): a push failure says whose change PCO refused, the decision history whose record was
decided and what it said, in words rather than ids and JSON."""
from __future__ import annotations

from pco_sync.airflow import review_page
from pco_sync.review import actions, queries
from push_helpers import DEFAULT, client_for, local_person, pull, push_people, value
from review_helpers import ann_renamed_on_both_sides


def test_push_failures_and_decisions_name_their_records(db, sim):
    bad = local_person(db, "Bea", "Gonzalez", email="bea@example.org", gender="X")
    push_people(db, client_for(sim), "run-1", DEFAULT)
    (failure,) = queries.items(db, "push_failures")
    assert failure["name"] == "Bea Gonzalez" and failure["local_id"] == bad
    page = review_page.render("/b", "pco_sync", {"push_failures": 1}, "push_failures",
                              [failure], {})
    assert "create person: <b>Bea Gonzalez</b>" in page and "(local " not in page

    actions.act(db, "push_failures", "dismiss", [failure["id"]], "dora")
    (decision,) = queries.history(db, "person", bad)
    assert decision["name"] == "Bea Gonzalez"
    history = review_page.render_history("/b", "pco_sync", [decision], "person")
    assert "<b>Bea Gonzalez</b>" in history
    assert "<td>Dismiss</td>" in history and "push_failure:" not in history  # as the button said
    assert "{" not in history.split("<table>")[1]  # before/after in words, not JSON

    db.execute("DELETE FROM church.people WHERE id = %s", (bad,))
    assert db.execute("SELECT sync.record_name('person', %s)", (bad,)).fetchone()[0] is None
    db.rollback()


def test_values_are_words():
    assert review_page._plain({"first_name": "Ann", "email": None, "kept": True}) == (
        "first name: Ann; email: (none); kept: yes")
    assert review_page._plain("<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"
    assert review_page._named(None, 4, "77") == "(local 4, PCO 77)"


def test_a_quarantined_record_is_named_from_pco_s_record():
    from pco_sync.airflow.templates import record_name

    item = {"id": 3, "stream": "people", "pco_id": "55", "contact_kind": "phone_number",
            "contact_id": "9", "check_name": "phone", "detail": "too short", "run_id": "r1",
            "payload": {"type": "Person", "id": "55",
                        "attributes": {"first_name": "Ann", "last_name": "Lee"}}}
    page = review_page.render("/b", "pco_sync", {"quarantine": 1}, "quarantine", [item], {})
    assert "<b>Ann Lee</b>" in page and "PCO 55" in page and "phone number" in page
    assert record_name({"attributes": {"name": "Youth Band"}}) == "Youth Band"
    assert record_name({"attributes": {}}) is None and record_name(None) is None
    assert review_page.action_words("conflict:local") == "Keep local"
    assert review_page.action_words("someday:maybe") == "someday: maybe"


def test_a_conflict_decision_reads_as_what_happens(db, db_url, sim):
    """Keep local: PCO keeps its value until the next push sends ours, said so (the log
    holds {"local": "Annie", "agreed": "Anna"}); Take PCO: both sides hold PCO's."""
    client, pid, _ = ann_renamed_on_both_sides(db, sim)
    assert pull(client, db, db_url, "pull-1")["people"]["conflicts"] == 1
    cid = value(db, "SELECT id FROM sync.conflicts WHERE resolved_at IS NULL")
    actions.act(db, "conflicts", "local", [cid], "alice")
    (decision,) = queries.history(db, "person", pid)
    row = review_page.render_history("/b", "pco_sync", [decision], "person").split("<tr>")[-1]
    assert "<td>here: Annie; PCO: Anna; last agreed: Ann</td>" in row
    assert "<td>here: Annie; PCO: Anna until the next push sends Annie</td>" in row

    db.execute("UPDATE church.people SET first_name = 'Ann' WHERE id = %s", (pid,))
    db.commit()
    sim.store.update("people", decision["pco_id"], {"first_name": "Anne"})
    assert pull(client, db, db_url, "pull-2")["people"]["conflicts"] == 1
    cid = value(db, "SELECT id FROM sync.conflicts WHERE resolved_at IS NULL")
    actions.act(db, "conflicts", "pco", [cid], "alice")
    newest = queries.history(db, "person", pid)[0]
    row = review_page.render_history("/b", "pco_sync", [newest], "person").split("<tr>")[-1]
    assert "<td>here and in PCO: Anne</td>" in row
