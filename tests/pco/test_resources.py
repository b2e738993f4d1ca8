"""The registry decides, in one place, whether a run reads a resource whole, by window, or
not at all; and builds each stream's list query."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pco_sync.pco import resources
from pco_sync.pco.resources import RESOURCES, WHOLE, window

DAY = datetime(2026, 11, 23, tzinfo=timezone.utc)
Q = timedelta(minutes=15)
QUARTERS = [(DAY + i * Q, DAY + (i + 1) * Q) for i in range(96)]


def reads(name: str, **kw) -> list[str]:
    """The quarter-hours of a day at which a scheduled run reads `name` whole."""
    return [s.strftime("%H:%M") for s, e in QUARTERS
            if (r := RESOURCES[name].read(s, e, **kw)) is not None and r.whole]


@pytest.mark.parametrize("start,end,full,due", [
    ("2026-11-23T05:45:00Z", "2026-11-23T06:00:00Z", False, False),
    ("2026-11-23T06:00:00Z", "2026-11-23T06:15:00Z", False, True),
    ("2026-11-23T06:15:00Z", "2026-11-23T06:30:00Z", False, False),
    ("2026-11-22T23:50:00Z", "2026-11-23T00:05:00Z", False, True),
    ("2026-11-23T06:15:00Z", "2026-11-23T06:30:00Z", True, True),
    (None, None, False, True),
    ("2026-11-23T01:00:00Z", "2026-11-23T01:00:00Z", False, False),
])
def test_households_due_once_per_six_hour_boundary(start, end, full, due):
    read = RESOURCES["households"].read(start, end, full_refresh=full)
    assert (read is not None) is due
    assert read is None or read.whole


def test_snapshots_every_six_hours_windows_every_run_and_events_whole_daily():
    assert reads("groups") == reads("teams") == ["00:30", "06:30", "12:30", "18:30"]
    assert reads("households") == ["00:00", "06:00", "12:00", "18:00"]
    assert reads("events") == ["03:00"]
    assert reads("people") == ["02:00"]  # the nightly whole read that finds deleted people
    for name in ("people", "events"):  # windowed: read every run
        assert all(RESOURCES[name].read(s, e) is not None for s, e in QUARTERS)


def test_manual_first_sync_and_full_refresh_read_whole():
    start, end = QUARTERS[5]
    assert RESOURCES["groups"].read(start, end) is None
    assert RESOURCES["groups"].read(start, end, manual=True).why == "manual run"
    # a manual run still reads a windowed resource by its window
    assert RESOURCES["people"].read(start, end, manual=True) == window(start, end)
    first = RESOURCES["people"].read(start, end, first_sync=True)
    assert first.whole and first.why.startswith("first sync")
    assert RESOURCES["people"].read(start, end, full_refresh=True).whole
    assert RESOURCES["people"].read(None, None).why == "no data interval"


def test_people_params():
    read = window("2026-11-23T06:00:00.250+00:00", datetime(2026, 11, 23, 6, 15, 0, 500_000))
    p = resources.stream("people").params(read)
    assert p == {"order": "updated_at", "include": "emails,phone_numbers,addresses",
                 "where[updated_at][gte]": "2026-11-23T05:55:00Z",
                 "where[updated_at][lt]": "2026-11-23T06:15:01Z"}
    assert "where[updated_at][gte]" not in resources.stream("people").params(WHOLE)
    # the merge history is windowed on created_at, the field it is ordered by
    assert "where[created_at][gte]" in resources.stream("person_mergers").params(read)
    with pytest.raises(ValueError):
        window("2026-11-23T06:00:00Z", None)
    with pytest.raises(ValueError, match="unknown stream"):
        resources.stream("groups_typo")
    with pytest.raises(ValueError, match="known: people, households, groups, teams, events"):
        resources.resource("groups_typo")


def test_every_merge_step_and_linked_rule_is_a_file():
    from pco_sync import sqlfiles

    for res in RESOURCES.values():
        for step in (*res.merge_steps, res.merge_counts):
            assert (sqlfiles.root() / "merge" / step).is_file(), step
        assert set(res.rows) <= set(resources.entity_rows())
    for stream in resources.STREAMS.values():
        assert (sqlfiles.root() / "linked" / f"{stream.name}.sql").is_file() is stream.linked


def test_a_first_sync_reads_every_resource_whole_in_any_window():
    """Contract: read(start, end, first_sync=True) is how a run with that window reads the
    resource on a database that never pulled it whole: whole, for every resource."""
    for start, end in QUARTERS:
        for name, res in RESOURCES.items():
            read = res.read(start, end, first_sync=True)
            assert read is not None and read.whole, (name, start)
