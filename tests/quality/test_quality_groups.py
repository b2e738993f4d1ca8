"""Row checks and batch gates for groups, memberships, calendar and teams (quality.groups and
quality.gates): bad records are quarantined whole with the check that failed; an outage-shaped snapshot
stops the run."""
from __future__ import annotations

import json

import pytest

from pco_sync.errors import QualityGateError
from pco_sync.quality.gates import gate
from pco_sync.quality.validate import validate

RUN = "run-q"


def stage(db, stream, *records, run_id=RUN):
    for r in records:
        db.execute(f"INSERT INTO pco_staging.{stream} (run_id, pco_id, record) VALUES (%s, %s, %s)",
                   (run_id, r["id"], json.dumps(r)))
    db.commit()


def rel(kind, rid):
    return {"data": {"type": kind, "id": rid} if rid else None}


def quarantined(db, stream) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for pco_id, check in db.execute("SELECT pco_id, check_name FROM sync.quarantine "
                                    "WHERE stream = %s", (stream,)):
        out.setdefault(pco_id, set()).add(check)
    return out


def membership(mid, person="p1", group="g1", listed_under="g1", role="member",
               joined="2026-01-04T00:00:00Z"):
    return {"type": "Membership", "id": mid,
            "attributes": {"role": role, "joined_at": joined},
            "relationships": {"person": rel("Person", person), "group": rel("Group", group)},
            "fetched_for": {"type": "Group", "id": listed_under}}


def test_membership_checks(db):
    stage(db, "group_memberships",
          membership("m1"),
          membership("m2", role="Leader"),  # PCO's case differs now and then: fine
          membership("m3", person=None),
          membership("m4", group="g2"),
          membership("m5", role="owner"),
          membership("m6", joined="last Tuesday"),
          membership("m7", joined=None))
    result = validate(db, "group_memberships", RUN)
    assert result == {"checked": 7, "passed": 3, "quarantined": 4}
    assert quarantined(db, "group_memberships") == {
        "m3": {"person_present"}, "m4": {"group_matches"}, "m5": {"role_known"},
        "m6": {"joined_at_valid"}}
    detail = db.execute("SELECT detail FROM sync.quarantine WHERE pco_id = 'm4'").fetchone()[0]
    assert detail == "listed under group g1 but names g2"


def test_group_event_instance_team_and_assignment_checks(db):
    stage(db, "groups",
          {"type": "Group", "id": "g1", "attributes": {"name": "Alpha", "archived_at": None}},
          {"type": "Group", "id": "g2", "attributes": {"name": " \u200b", "archived_at": None}},
          {"type": "Group", "id": "g3", "attributes": {"name": "Old", "archived_at": "soon"}})
    stage(db, "events",
          {"type": "Event", "id": "e1", "attributes": {"name": "Easter"}},
          {"type": "Event", "id": "e2", "attributes": {"name": ""}})
    at = lambda s, e, ev="e1": {"starts_at": s, "ends_at": e}  # noqa: E731
    stage(db, "event_instances",
          {"type": "EventInstance", "id": "i1", "attributes": at("2026-04-05T14:00:00Z",
                                                                 "2026-04-05T15:00:00Z"),
           "relationships": {"event": rel("Event", "e1")}},
          {"type": "EventInstance", "id": "i2", "attributes": at("2026-04-05T14:00:00Z",
                                                                 "2026-04-05T13:00:00Z"),
           "relationships": {"event": rel("Event", "e1")}},
          {"type": "EventInstance", "id": "i3", "attributes": at(None, None),
           "relationships": {"event": rel("Event", None)}})
    stage(db, "teams", {"type": "Team", "id": "t1", "attributes": {"name": "Band"}},
          {"type": "Team", "id": "t2", "attributes": {"name": None}})
    stage(db, "team_assignments",
          {"type": "PersonTeamPositionAssignment", "id": "a1", "attributes": {},
           "relationships": {"person": rel("Person", "p1"),
                             "team_position": rel("TeamPosition", "tp1")}},
          {"type": "PersonTeamPositionAssignment", "id": "a2", "attributes": {},
           "relationships": {"person": rel("Person", None),
                             "team_position": rel("TeamPosition", None)}})
    for stream in ("groups", "events", "event_instances", "teams", "team_assignments"):
        validate(db, stream, RUN)
    assert quarantined(db, "groups") == {"g2": {"name_present"}, "g3": {"archived_at_valid"}}
    assert quarantined(db, "events") == {"e2": {"name_present"}}
    assert quarantined(db, "event_instances") == {
        "i2": {"times_in_order"}, "i3": {"event_present", "starts_at_valid"}}
    assert quarantined(db, "teams") == {"t2": {"name_present"}}
    assert quarantined(db, "team_assignments") == {"a2": {"person_present", "position_present"}}


def test_a_groups_snapshot_far_smaller_than_what_is_linked_stops_the_run(db):
    db.execute("INSERT INTO church.groups (pco_type, pco_id, name) "
               "SELECT 'Group', g::text, 'G' || g FROM generate_series(1, 10) g")
    db.execute("INSERT INTO pco_staging.extracts (run_id, stream, mode, records, requests) "
               "VALUES (%s, 'groups', 'snapshot', 2, 1)", (RUN,))
    db.commit()
    stage(db, "groups", *({"type": "Group", "id": str(g), "attributes": {"name": "G"}}
                          for g in (1, 2)))
    with pytest.raises(QualityGateError, match="full groups pull returned 2 records, "
                                               "but the church database has 10 groups linked"):
        gate(db, RUN, full_refresh=False)


def test_a_stream_with_nothing_staged_is_checked_without_great_expectations(db):
    # a re-run whose extract now stages nothing drops the quarantine rows of the attempt before
    db.execute("INSERT INTO sync.quarantine (run_id, stream, pco_id, check_name, payload) "
               "VALUES (%s, 'events', 'e9', 'name_present', '{}')", (RUN,))
    db.commit()
    assert validate(db, "events", RUN) == {"checked": 0, "passed": 0, "quarantined": 0}
    assert db.execute("SELECT count(*) FROM sync.quarantine").fetchone()[0] == 0
