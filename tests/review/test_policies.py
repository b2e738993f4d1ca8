"""Conflict policies (the Variable pco_sync_conflict_policy) through real pulls against the
simulator and real PostgreSQL: manual leaves an open conflict; pco_wins and local_wins settle
it (recorded as 'policy:<name>', logged in sync.resolution_log), local_wins' value reaching
PCO by the next push; newest_wins by the records' updated_at, both ways; a policy for one
field group leaves the others manual; a bad policy is a SettingsError."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pco_sync.errors import SettingsError
from pco_sync.merge.run import policy_from_variable
from pipeline import extract, merge_with_policy
from push_helpers import DEFAULT, push_families, push_people, value
from review_helpers import ann_renamed_on_both_sides, lee_family_renamed_on_both_sides


def pull(client, db, db_url, run_id, policy=None, streams=("people",)) -> dict:
    """A full pull under `policy`: {summary row: counts}."""
    counts = {}
    for resource in streams:
        extract(client, db_url, resource, run_id, full_refresh=True)
        counts.update(merge_with_policy(db_url, resource, run_id, policy))
    db.commit()
    return counts


def pco_time(delta: timedelta) -> str:
    """A PCO updated_at `delta` from now: far enough that the local row's time is on the
    expected side of it (newest_wins tests never race the clock)."""
    return (datetime.now(timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def both_renamed(db, sim):
    """(client, person id, PCO id) of Ann Lee renamed on both sides (review_helpers)."""
    return ann_renamed_on_both_sides(db, sim)


def first_name(db, pid):
    return value(db, "SELECT first_name FROM church.people WHERE id = %s", pid)


def conflict_rows(db, field="first_name"):
    return db.execute("SELECT resolved_at IS NOT NULL, resolution, resolved_by, local_value, "
                      "pco_value FROM sync.conflicts WHERE field = %s ORDER BY id",
                      (field,)).fetchall()


@pytest.mark.parametrize("policy", [None, {}, {"names": "manual"}])
def test_manual_records_an_open_conflict(db, db_url, both_renamed, policy):
    client, pid, _ = both_renamed
    assert pull(client, db, db_url, "pull-1", policy)["people"]["conflicts"] == 1
    assert first_name(db, pid) == "Annie"
    assert conflict_rows(db) == [(False, None, None, "Annie", "Anna")]
    assert value(db, "SELECT count(*) FROM sync.resolution_log") == 0


def test_pco_wins_takes_pcos_value_and_records_the_settled_conflict(db, db_url, sim,
                                                                     both_renamed):
    client, pid, pco_id = both_renamed
    counts = pull(client, db, db_url, "pull-1", {"names": "pco_wins"})
    assert counts["people"]["conflicts"] == 0 and counts["people"]["updated"] == 1
    assert first_name(db, pid) == "Anna"
    assert conflict_rows(db) == [(True, "policy:pco_wins", "policy", "Annie", "Anna")]
    cid = value(db, "SELECT id FROM sync.conflicts")
    history = db.execute("SELECT actor, action, field, subject_id, before, after FROM "
                         "sync.resolution_history('person', %s)", (pid,)).fetchall()
    assert history == [("policy", "policy:pco_wins", "first_name", cid,
                        {"local": "Annie", "pco": "Anna", "agreed": "Ann"},
                        {"local": "Anna", "agreed": "Anna", "winner": "pco"})]
    # agreed on PCO's value: nothing to push, nothing reopened, nothing logged again
    assert push_people(db, client, "pull-1", DEFAULT)["requests"] == 0
    assert pull(client, db, db_url, "pull-2", {"names": "pco_wins"})["people"]["conflicts"] == 0
    assert value(db, "SELECT count(*) FROM sync.resolution_log") == 1
    assert sim.store.get("people", pco_id)["first_name"] == "Anna"


def test_local_wins_keeps_the_local_value_and_the_push_sends_it(db, db_url, sim, both_renamed):
    client, pid, pco_id = both_renamed
    assert pull(client, db, db_url, "pull-1", {"names": "local_wins"})["people"]["conflicts"] == 0
    assert first_name(db, pid) == "Annie"
    assert conflict_rows(db) == [(True, "policy:local_wins", "policy", "Annie", "Anna")]
    assert value(db, "SELECT first_name FROM sync.agreed_people WHERE person_id = %s",
                 pid) == "Anna"
    assert push_people(db, client, "pull-1", DEFAULT)["updated"] == 1
    assert sim.store.get("people", pco_id)["first_name"] == "Annie"
    # the run after, back under manual: both sides agree, nothing to settle or send
    assert pull(client, db, db_url, "pull-2")["people"]["conflicts"] == 0
    assert push_people(db, client, "pull-2", DEFAULT)["requests"] == 0
    assert value(db, "SELECT count(*) FROM sync.conflicts WHERE resolved_at IS NULL") == 0


@pytest.mark.parametrize("pco_offset, expected, winner", [
    (timedelta(days=1), "Anna", "pco"),       # PCO's record changed after the local one
    (-timedelta(days=3650), "Annie", "local"),  # the local change is the newer
])
def test_newest_wins_picks_the_newer_side(db, db_url, sim, both_renamed, pco_offset,
                                          expected, winner):
    client, pid, pco_id = both_renamed
    sim.store.update("people", pco_id, {"updated_at": pco_time(pco_offset)}, bump=False)
    assert pull(client, db, db_url, "pull-1",
                {"names": "newest_wins"})["people"]["conflicts"] == 0
    assert first_name(db, pid) == expected
    assert conflict_rows(db) == [(True, "policy:newest_wins", "policy", "Annie", "Anna")]
    assert value(db, "SELECT after ->> 'winner' FROM sync.resolution_log") == winner
    push_people(db, client, "pull-1", DEFAULT)
    assert sim.store.get("people", pco_id)["first_name"] == expected


def test_newest_wins_on_a_contact_uses_the_contacts_times(db, db_url, sim, both_renamed):
    client, pid, pco_id = both_renamed
    [phone] = sim.store.children("phone_numbers", "person_id", pco_id)
    sim.store.update("phone_numbers", phone["id"],
                     {"number": "614-555-0199", "updated_at": pco_time(timedelta(days=1))},
                     bump=False)
    db.execute("UPDATE church.phone_numbers SET number = '614-555-0142' WHERE person_id = %s",
               (pid,))
    db.commit()
    counts = pull(client, db, db_url, "pull-1", {"phone_numbers": "newest_wins"})
    assert counts["people"]["conflicts"] == 1  # the first_name one: names stay manual
    assert value(db, "SELECT number FROM church.phone_numbers WHERE person_id = %s",
                 pid) == "614-555-0199"
    assert conflict_rows(db, "number") == [
        (True, "policy:newest_wins", "policy", "614-555-0142", "614-555-0199")]


def test_a_policy_for_one_group_leaves_the_others_manual(db, db_url, sim, both_renamed):
    client, pid, pco_id = both_renamed
    sim.store.update("people", pco_id, {"birthdate": "1980-01-02"})
    db.execute("UPDATE church.people SET birthdate = '1981-03-04' WHERE id = %s", (pid,))
    db.commit()
    counts = pull(client, db, db_url, "pull-1", {"birthdate_gender_status": "pco_wins"})
    assert counts["people"]["conflicts"] == 1
    assert str(value(db, "SELECT birthdate FROM church.people WHERE id = %s", pid)) == "1980-01-02"
    assert first_name(db, pid) == "Annie"
    assert conflict_rows(db) == [(False, None, None, "Annie", "Anna")]
    assert conflict_rows(db, "birthdate") == [
        (True, "policy:pco_wins", "policy", "1981-03-04", "1980-01-02")]


def test_a_policy_closes_a_conflict_left_open_by_an_earlier_run(db, db_url, both_renamed):
    client, pid, _ = both_renamed
    assert pull(client, db, db_url, "pull-1")["people"]["conflicts"] == 1
    cid = value(db, "SELECT id FROM sync.conflicts WHERE resolved_at IS NULL")
    assert pull(client, db, db_url, "pull-2", {"names": "pco_wins"})["people"]["conflicts"] == 0
    assert first_name(db, pid) == "Anna"
    assert value(db, "SELECT id, resolution, run_id FROM sync.conflicts") == (
        cid, "policy:pco_wins", "pull-2")
    assert value(db, "SELECT subject_id FROM sync.resolution_log") == cid


def test_family_local_wins_is_pushed(db, db_url, sim):
    client, _, hid = lee_family_renamed_on_both_sides(db, sim)
    counts = pull(client, db, db_url, "pull-1", {"family": "local_wins"},
                  ("people", "households"))
    assert counts["families"]["conflicts"] == 0
    assert conflict_rows(db, "name") == [
        (True, "policy:local_wins", "policy", "Lee Household", "The Lees")]
    assert push_families(db, client, "pull-1")["updated"] == 1
    assert sim.store.get("households", hid)["name"] == "Lee Household"


@pytest.mark.parametrize("policy, named", [
    ({"nmes": "pco_wins"}, "'nmes'"),
    ({"names": "pco"}, "'pco'"),
    (["names"], "JSON object"),
])
def test_a_bad_policy_is_a_settings_error(db, db_url, both_renamed, policy, named):
    client, pid, _ = both_renamed
    extract(client, db_url, "people", "pull-1", full_refresh=True)
    with pytest.raises(SettingsError, match="pco_sync_conflict_policy") as raised:
        merge_with_policy(db_url, "people", "pull-1", policy)
    assert named in str(raised.value)
    db.commit()
    assert value(db, "SELECT count(*) FROM sync.conflicts") == 0
    assert first_name(db, pid) == "Annie"


def test_the_variables_text_is_parsed_and_checked():
    assert policy_from_variable(None) == {} and policy_from_variable(" ") == {}
    assert policy_from_variable('{"emails": "local_wins"}') == {"emails": "local_wins"}
    with pytest.raises(SettingsError, match="pco_sync_conflict_policy is not JSON"):
        policy_from_variable("{names: pco_wins}")
    with pytest.raises(SettingsError, match="'newest'"):
        policy_from_variable('{"addresses": "newest"}')
