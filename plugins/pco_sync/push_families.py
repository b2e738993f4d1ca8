"""Push families: local families without a household link become PCO households with their
members PCO has and the primary contact; linked families get name and primary-contact
patches, and household memberships for members added or removed since agreed. A family's
address is its primary contact's address, which the people push sends.
Plans: include/sql/push/families_to_create.sql, families_to_update.sql,
family_members_to_push.sql.
"""
from __future__ import annotations

import psycopg

from pco_sync.client import PcoClient
from pco_sync.push_steps import run_steps

# Members are added before the patch, so a new primary contact is a member when named.
STEPS = [("families_to_create", "save_families", True),
         ("family_members_to_push", "save_families", False),
         ("families_to_update", "save_families", False)]
UNCHANGED = "SELECT count(*) FROM church.families WHERE pco_id IS NOT NULL AND id <> ALL (%s)"


def push_families(conn: psycopg.Connection, client: PcoClient | None, run_id: str, *,
                  full_push: bool = False, dry_run: bool = False, after_send=None) -> dict:
    """Counts per family: created, updated, unchanged, failed, skipped (+ reasons, requests,
    operations in a dry run)."""
    return run_steps(conn, client, run_id, STEPS, {"full_push": full_push}, dry_run=dry_run,
                     after_send=after_send, unchanged_sql=UNCHANGED,
                     entities=("family", "family_member"))
