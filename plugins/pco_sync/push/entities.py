"""Push people: create the local people PCO lacks (remote_id protocol), patch the changed
fields of linked ones, then write their emails, phone numbers and addresses one by one.
Plans: include/sql/push/people_to_create.sql, people_to_update.sql, contacts_to_push.sql;
pco_sync.push sends and saves.
"""
from __future__ import annotations

import psycopg

from pco_sync.client import PcoClient, PcoError
from pco_sync.db import sql
from pco_sync.push_steps import run_steps
from pco_sync.push_settings import PushSettings, SettingsError

ADDRESS_LINES_SINCE = "2023-03-21"  # People versions before this take one `street`
STEPS = [("people_to_create", "save_people", False),
         ("people_to_update", "save_people", False),
         ("contacts_to_push", "save_contacts", True)]
UNCHANGED = "SELECT count(*) FROM church.people WHERE pco_id IS NOT NULL AND id <> ALL (%s)"


def push_people(conn: psycopg.Connection, client: PcoClient | None, run_id: str,
                settings: PushSettings, *, full_push: bool = False, dry_run: bool = False,
                after_send=None) -> dict:
    """Counts per person: created, updated, unchanged, failed, skipped (+ skip reasons,
    requests made, and in a dry run the operations it would send)."""
    if client is not None and client.versions.get("people", "") < ADDRESS_LINES_SINCE:
        raise PcoError(f"the push writes street_line_1/2: pin People >= {ADDRESS_LINES_SINCE}")
    return run_steps(conn, client, run_id, STEPS,
                     {**settings.sql_params(), "full_push": full_push}, dry_run=dry_run,
                     after_send=after_send, before=lambda: _scope(conn, settings),
                     unchanged_sql=UNCHANGED,
                     entities=("person", "email", "phone_number", "address"))


def _scope(conn: psycopg.Connection, settings: PushSettings) -> None:
    """push_scope: the people a sync-groups scope allows (empty for "everyone")."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS push_scope (person_id bigint PRIMARY KEY)")
    conn.execute("DELETE FROM push_scope")
    if settings.everyone:
        return
    try:
        with conn.transaction():
            conn.execute(sql("push/scope_sync_groups.sql"), {"groups": list(settings.sync_groups)})
    except psycopg.errors.UndefinedTable as exc:
        raise SettingsError("pco_sync_push_scope is sync_groups, but the church database has "
                            "no groups yet (church.groups)") from exc
