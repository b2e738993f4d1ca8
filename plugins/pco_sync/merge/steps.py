"""Merge this run's staged PCO records into the church schema.

Each entity runs its include/sql/merge/ steps in order inside one transaction, so a failed
merge leaves nothing half-done, and returns the counts its last step computes. The SQL reads
the run id from the transaction-local setting ``pco_sync.run_id``; steps hand each other
temp tables that are dropped at commit.
"""
from __future__ import annotations

import psycopg

from pco_sync.db import MERGE_LOCK, sql

PEOPLE_STEPS = (
    "000_field_checks.sql",
    "005_follow_pco_merges.sql",
    "010_people_candidates.sql",
    "020_match_people.sql",
    "030_merge_people.sql",
    "040_contacts_compare.sql",
    "041_apply_emails.sql",
    "042_apply_phone_numbers.sql",
    "043_apply_addresses.sql",
    "044_contacts_agreed.sql",
    "080_record_conflicts.sql",
    "095_people_removed.sql",
)
PEOPLE_COUNTS = "090_people_counts.sql"

FAMILY_STEPS = (
    "000_field_checks.sql",
    "110_family_candidates.sql",
    "120_merge_families.sql",
    "130_merge_family_members.sql",
    "080_record_conflicts.sql",
    "195_families_removed.sql",
)
FAMILY_COUNTS = "190_family_counts.sql"

COUNT_KEYS = ("created", "updated", "unchanged", "needs_review", "conflicts")


def _run(conn: psycopg.Connection, run_id: str, steps: tuple[str, ...], counts: str) -> dict:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MERGE_LOCK,))
        conn.execute("SELECT set_config('pco_sync.run_id', %s, true)", (run_id,))
        for step in steps:
            conn.execute(sql(f"merge/{step}"))
        row = conn.execute(sql(f"merge/{counts}")).fetchone()
    return {key: int(value) for key, value in zip(COUNT_KEYS, row)}


def merge_people(conn: psycopg.Connection, run_id: str) -> dict:
    """People with their emails, phone numbers and addresses; counts per person."""
    return _run(conn, run_id, PEOPLE_STEPS, PEOPLE_COUNTS) | _removed(conn, run_id, "person")


def merge_families(conn: psycopg.Connection, run_id: str) -> dict:
    """Households into families, members and primary contact; counts per family."""
    return _run(conn, run_id, FAMILY_STEPS, FAMILY_COUNTS) | _removed(conn, run_id, "family")


def _removed(conn: psycopg.Connection, run_id: str, entity: str) -> dict:
    """{"removed": n}: linked records this run found gone from PCO (as groups and teams count them)."""
    with conn.transaction():
        (n,) = conn.execute(sql("merge/removed_counts.sql"), {"entity": entity, "run_id": run_id}).fetchone()
    return {"removed": int(n)}


# Groups, calendar and Services teams: each resource in one transaction (a group with its
# memberships, as a person with their contacts), counted as two summary rows.
GROUP_STEPS = (
    "300_groups_stage.sql",
    "310_merge_groups.sql",
    "320_group_memberships_stage.sql",
    "350_memberships_apply.sql",
)
GROUP_COUNTS = "390_group_counts.sql"

TEAM_STEPS = (
    "400_teams_stage.sql",
    "410_merge_teams.sql",
    "420_team_memberships_stage.sql",
    "350_memberships_apply.sql",
)
TEAM_COUNTS = "490_team_counts.sql"

EVENT_STEPS = (
    "200_events_stage.sql",
    "210_merge_events.sql",
    "220_merge_occurrences.sql",
    "230_event_dates.sql",
)
EVENT_COUNTS = "290_event_counts.sql"


def _run_rows(conn: psycopg.Connection, run_id: str, steps: tuple[str, ...],
              counts: str) -> dict[str, dict]:
    """As _run, for a counts query of (summary row, counts object) rows."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MERGE_LOCK,))
        conn.execute("SELECT set_config('pco_sync.run_id', %s, true)", (run_id,))
        for step in steps:
            conn.execute(sql(f"merge/{step}"))
        rows = conn.execute(sql(f"merge/{counts}")).fetchall()
    order = {k: i for i, k in enumerate(COUNT_KEYS)}
    return {entity: {k: int(values[k]) for k in sorted(values, key=lambda k: order.get(k, 99))}
            for entity, values in rows}


def merge_groups(conn: psycopg.Connection, run_id: str) -> dict[str, dict]:
    """Groups (departments per group type) and their memberships: {"groups": counts,
    "group_memberships": counts}."""
    return _run_rows(conn, run_id, GROUP_STEPS, GROUP_COUNTS)


def merge_teams(conn: psycopg.Connection, run_id: str) -> dict[str, dict]:
    """Services teams with positions, and their members: {"teams", "team_memberships"}."""
    return _run_rows(conn, run_id, TEAM_STEPS, TEAM_COUNTS)


def merge_events(conn: psycopg.Connection, run_id: str) -> dict[str, dict]:
    """Calendar events and their occurrences: {"events", "event_occurrences"}."""
    return _run_rows(conn, run_id, EVENT_STEPS, EVENT_COUNTS)
