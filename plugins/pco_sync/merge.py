"""Merge this run's staged PCO records into the church schema.

Each entity runs its include/sql/merge/ steps in order inside one transaction, so a failed
merge leaves nothing half-done, and returns the counts its last step computes. The SQL reads
the run id from the transaction-local setting ``pco_sync.run_id``; steps hand each other
temp tables that are dropped at commit.
"""
from __future__ import annotations

import psycopg

from pco_sync.db import sql

PEOPLE_STEPS = (
    "000_field_checks.sql",
    "010_people_candidates.sql",
    "020_match_people.sql",
    "030_merge_people.sql",
    "040_contacts_compare.sql",
    "041_apply_emails.sql",
    "042_apply_phone_numbers.sql",
    "043_apply_addresses.sql",
    "044_contacts_agreed.sql",
    "080_record_conflicts.sql",
)
PEOPLE_COUNTS = "090_people_counts.sql"

FAMILY_STEPS = (
    "000_field_checks.sql",
    "110_family_candidates.sql",
    "120_merge_families.sql",
    "130_merge_family_members.sql",
    "080_record_conflicts.sql",
)
FAMILY_COUNTS = "190_family_counts.sql"

COUNT_KEYS = ("created", "updated", "unchanged", "needs_review", "conflicts")


def _run(conn: psycopg.Connection, run_id: str, steps: tuple[str, ...], counts: str) -> dict:
    with conn.transaction():
        conn.execute("SELECT set_config('pco_sync.run_id', %s, true)", (run_id,))
        for step in steps:
            conn.execute(sql(f"merge/{step}"))
        row = conn.execute(sql(f"merge/{counts}")).fetchone()
    return {key: int(value) for key, value in zip(COUNT_KEYS, row)}


def merge_people(conn: psycopg.Connection, run_id: str) -> dict:
    """People with their emails, phone numbers and addresses; counts per person."""
    return _run(conn, run_id, PEOPLE_STEPS, PEOPLE_COUNTS)


def merge_families(conn: psycopg.Connection, run_id: str) -> dict:
    """Households into families, members and primary contact; counts per family."""
    return _run(conn, run_id, FAMILY_STEPS, FAMILY_COUNTS)
