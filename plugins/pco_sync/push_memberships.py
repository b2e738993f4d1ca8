"""Push group memberships: local joins in groups PCO has become PCO memberships (role,
joined date), local leaves delete them. Plan: include/sql/push/memberships_to_push.sql.
Needs church.groups and church.group_memberships (the groups sync's migration); without
them there is nothing to push.
"""
from __future__ import annotations

import psycopg

from pco_sync.client import PcoClient
from pco_sync.push_steps import run_steps

STEPS = [("memberships_to_push", "save_memberships", False)]
KINDS = {("group_membership", "add"): "created", ("group_membership", "remove"): "deleted"}
UNCHANGED = ("SELECT count(*) FROM church.group_memberships WHERE pco_id IS NOT NULL "
             "AND ended_at IS NULL AND id <> ALL (%s)")
EMPTY = {"created": 0, "deleted": 0, "updated": 0, "unchanged": 0, "failed": 0, "skipped": 0,
         "skipped_reasons": {}, "requests": 0}


def push_memberships(conn: psycopg.Connection, client: PcoClient | None, run_id: str, *,
                     full_push: bool = False, dry_run: bool = False, after_send=None) -> dict:
    """Counts per membership: created (joins), deleted (leaves), unchanged, failed, skipped."""
    if conn.execute("SELECT to_regclass('church.group_memberships')").fetchone()[0] is None:
        conn.rollback()
        return dict(EMPTY)
    return run_steps(conn, client, run_id, STEPS, {"full_push": full_push}, dry_run=dry_run,
                     after_send=after_send, unchanged_sql=UNCHANGED,
                     entities=("group_membership",), kinds=KINDS)
