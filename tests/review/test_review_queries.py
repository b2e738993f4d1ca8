"""What the PCO Sync page reads and does, without a server: the open items per kind from a
real church database after real pulls, the page rendered from them, and the actions it
offers applied through review.actions (the SQL functions), bad input refused."""
from __future__ import annotations

import pytest

from pco_sync.airflow import review_page
from pco_sync.errors import ReviewError
from pco_sync.review import actions, queries
from pipeline import sync
from push_helpers import value
from review_helpers import conflict_and_review, odd_email_person

BASE = "/pco-sync/review/pco_sync"


@pytest.fixture
def open_items(db, db_url, sim):
    return conflict_and_review(db, db_url, sim)


def test_counts_and_items_name_the_records_in_the_churchs_words(db, open_items):
    _, ann, cid, rid, twins = open_items
    counts = queries.counts(db)
    assert counts["conflicts"] >= 1 and counts["matches"] >= 1
    assert set(counts) == {k for k, _, _ in queries.KINDS}
    (conflict,) = [c for c in queries.items(db, "conflicts") if c["id"] == cid]
    assert (conflict["record_kind"], conflict["record_id"], conflict["record_name"]) == (
        "person", ann, "Annie Lee")
    assert (conflict["agreed_value"], conflict["pco_value"], conflict["local_value"]) == (
        "Ann", "Anna", "Annie")
    assert queries.items(db, "conflicts", search="annie")[0]["id"] == cid
    assert queries.items(db, "conflicts", search="nobody by that name") == []
    assert queries.items(db, "conflicts", entity="family") == []
    (review,) = [m for m in queries.items(db, "matches") if m["id"] == rid]
    assert review["pco_name"] == "Sam Roe"
    assert [c["id"] for c in review["candidates"]] == sorted(twins)
    assert review["candidates"][0]["emails"] == ["sam1@example.org"]
    with pytest.raises(ValueError, match="unknown kind"):
        queries.items(db, "nope")
    with pytest.raises(ValueError, match="cannot be filtered by stream"):
        queries.items(db, "conflicts", stream="people")


def test_page_shows_both_sides_and_the_buttons_that_settle_them(db, open_items):
    _, ann, cid, rid, twins = open_items
    counts = queries.counts(db)
    html = review_page.render(BASE, "pco_sync", counts, "conflicts",
                              queries.items(db, "conflicts"), {"names": "pco_wins"})
    assert "Person: Annie Lee" in html
    assert "<td>Ann</td><td>Anna</td><td>Annie</td>" in html  # agreed, PCO, local
    assert f"data-kind='conflicts' data-action='local' data-ids='[{cid}]'" in html
    assert "<option value='pco_wins' selected>pco_wins</option>" in html
    assert f"Conflicts <span class='count'>{counts['conflicts']}</span>" in html
    html = review_page.render(BASE, "pco_sync", counts, "matches",
                              queries.items(db, "matches"), {})
    assert "local person %d" % twins[0] in html and "sam2@example.org" in html
    assert "<b>Local person" not in html  # each candidate is headed by their name
    assert f"data-ids='[{rid}]' data-value='{twins[1]}'" in html
    assert f"href='/dags/pco_sync/runs/pull-1'" in html
    # found by a webhook batch: linked to the webhooks DAG's run
    html = review_page.render(BASE, "pco_sync", counts, "matches", queries.items(db, "matches"),
                              {}, run_dags={"pull-1": ("pco_sync_webhooks", "asset__1")})
    assert "href='/dags/pco_sync_webhooks/runs/asset__1'>asset__1</a>" in html


def test_actions_apply_the_sql_functions_with_the_actor(db, open_items):
    _, ann, cid, rid, twins = open_items
    (log_id,) = actions.act(db, "conflicts", "value", [cid], "carol", "Ann-Marie")
    assert value(db, "SELECT first_name FROM church.people WHERE id = %s", ann) == "Ann-Marie"
    assert value(db, "SELECT actor, action FROM sync.resolution_log WHERE id = %s", log_id) == (
        "carol", "conflict:value")
    actions.act(db, "matches", "link", [rid], "carol", twins[1])
    assert value(db, "SELECT decision, decided_person_id, decided_by FROM sync.match_review "
                     "WHERE id = %s", rid) == ("link", twins[1], "carol")
    history = queries.history(db, "person", ann)
    assert [h["action"] for h in history] == ["conflict:value"]
    # a person's history includes decisions on their contacts
    phone = value(db, "SELECT id FROM church.phone_numbers WHERE person_id = %s", ann)
    db.execute("INSERT INTO sync.resolution_log (actor, action, entity, local_id, subject_id) "
               "VALUES ('carol', 'conflict:pco', 'phone_number', %s, 0)", (phone,))
    assert [h["action"] for h in queries.history(db, "person", ann)] == [
        "conflict:pco", "conflict:value"]
    assert [h["action"] for h in queries.history(db, "phone_number")] == ["conflict:pco"]
    assert len(queries.history(db)) == 3  # everything: the match decision too


@pytest.mark.parametrize("kind, action, ids, value_, says", [
    ("conflicts", "explode", [1], None, "no action 'explode'"),
    ("conflicts", "local", [], None, "ids must be a non-empty list"),
    ("conflicts", "local", ["1; DROP"], None, "ids must be a non-empty list"),
    ("conflicts", "value", [1, 2], "x", "one item at a time"),
    ("conflicts", "value", [1], "  ", "needs a value"),
    ("matches", "link", [1], None, "needs a person id"),
])
def test_bad_requests_are_refused_before_the_database(db, kind, action, ids, value_, says):
    with pytest.raises(ReviewError, match=says):
        actions.act(db, kind, action, ids, "carol", value_)


def test_what_the_database_refuses_is_a_clear_error_and_changes_nothing(db, open_items):
    _, ann, cid, rid, twins = open_items
    with pytest.raises(ReviewError, match="is not a candidate of match review"):
        actions.act(db, "matches", "link", [rid], "carol", ann)
    with pytest.raises(ReviewError, match="no conflict 999999"):
        actions.act(db, "conflicts", "pco", [cid, 999999], "carol")  # all or none
    assert value(db, "SELECT resolved_at IS NULL FROM sync.conflicts WHERE id = %s", cid)
    assert value(db, "SELECT first_name FROM church.people WHERE id = %s", ann) == "Annie"
    assert value(db, "SELECT count(*) FROM sync.resolution_log") == 0


def test_check_again_revalidates_the_staged_record(db, db_url, sim):
    odd = odd_email_person(sim)
    sync(sim, db_url, "run-1", ("people",))
    db.commit()
    (qid,) = [q["id"] for q in queries.items(db, "quarantine")]
    # unchanged: still failing, still open, audited as checked
    (log_id,) = actions.act(db, "quarantine", "check", [qid], "dora")
    assert value(db, "SELECT resolved_at IS NULL FROM sync.quarantine WHERE id = %s", qid)
    assert value(db, "SELECT action, after FROM sync.resolution_log WHERE id = %s", log_id) == (
        "quarantine:check", {"passes": False})
    assert actions.told(db, "quarantine", "check", [log_id]) == (
        "Checked again: 1 still fails its check and stays quarantined.")
    # the staged record as a fixed check would now see it: passes, the row resolves
    db.execute("UPDATE pco_staging.people SET record = jsonb_set(record, "
               "'{included,emails,0,attributes,address}', '\"odd@example.org\"') "
               "WHERE run_id = 'run-1' AND pco_id = %s", (odd,))
    db.commit()
    (log_id,) = actions.act(db, "quarantine", "check", [qid], "dora")
    # (the run that found it checked again: as on a re-run, the row goes rather than resolves)
    assert value(db, "SELECT count(*) FROM sync.quarantine WHERE resolved_at IS NULL") == 0
    assert value(db, "SELECT after FROM sync.resolution_log WHERE id = %s", log_id) == {"passes": True}
    assert actions.told(db, "quarantine", "check", [log_id]) == (
        "Checked again: 1 passes now and is no longer quarantined.")
    with pytest.raises(ReviewError, match=f"no open quarantine row {qid}"):
        actions.act(db, "quarantine", "check", [qid], "dora")


def test_with_several_churches_each_page_is_its_churchs(tmp_path, monkeypatch):
    from fastapi import HTTPException

    from pco_sync.airflow import review_api

    file = tmp_path / "churches.yaml"
    file.write_text("churches:\n  - {slug: grace, name: Grace Church}\n  - {slug: hope}\n")
    monkeypatch.setenv("PCO_SYNC_CHURCHES_FILE", str(file))
    assert review_api._church("pco_sync__hope").church_db_conn_id == "church_db_hope"
    assert review_api._policy_variable("pco_sync__grace") == "pco_sync_conflict_policy__grace"
    with pytest.raises(HTTPException) as refused:
        review_api._church("pco_sync")  # the default church is not one of this deployment's
    assert refused.value.status_code == 404
    html = review_page.render_churches([("Grace Church", "pco_sync__grace", "/g"),
                                        ("hope", "pco_sync__hope", "/h")])
    assert "<a href='/g'>Grace Church</a>" in html and "DAG pco_sync__hope" in html
    assert "Not synced" not in html
    html = review_page.render_churches([("hope", "pco_sync__hope", "/h")], [(
        "pco_sync__faith", "churches.yaml: church 'faith': unknown field pool <b>")])
    assert "Not synced" in html and "<b>pco_sync__faith</b>" in html
    assert "unknown field pool &lt;b&gt;" in html and "<a href='/h'>hope</a>" in html
    page = review_page.render(BASE, "pco_sync__grace", {}, "conflicts", [], {}, {},
                              "pco_sync_conflict_policy__grace")
    assert "<code>pco_sync_conflict_policy__grace</code>" in page
