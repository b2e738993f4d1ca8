"""Push people: create the local people PCO lacks (remote_id protocol), patch the changed
fields of linked ones, then write their emails, phone numbers and addresses one by one.
The plans are include/sql/push/people_to_create.sql, people_to_update.sql and
contacts_to_push.sql; pco_sync.push sends and saves.
"""
from __future__ import annotations

import logging
from collections import Counter

import psycopg

from pco_sync.client import PcoClient, PcoError
from pco_sync.db import sql
from pco_sync.push import Pusher, tally
from pco_sync.push_settings import PushSettings, SettingsError

log = logging.getLogger(__name__)

ADDRESS_LINES_SINCE = "2023-03-21"  # People versions before this take one `street`


def push_people(conn: psycopg.Connection, client: PcoClient | None, run_id: str,
                settings: PushSettings, *, full_push: bool = False, dry_run: bool = False,
                after_send=None) -> dict:
    """Counts per person (created, updated, unchanged, failed, skipped), the reasons people
    were skipped, the requests made, and in a dry run the operations it would send."""
    if client is not None and client.versions.get("people", "") < ADDRESS_LINES_SINCE:
        raise PcoError(f"the push writes street_line_1/2: pin People >= {ADDRESS_LINES_SINCE}")
    pusher = Pusher(conn, client, run_id, dry_run=dry_run, after_send=after_send)
    before = client.stats.requests if client else 0
    try:
        _scope(conn, settings)
        params = {**settings.sql_params(), "full_push": full_push}
        creates, skipped = pusher.plan("people_to_create", params)
        results = pusher.execute(creates, "save_people")
        updates, waiting = pusher.plan("people_to_update", params)
        results += pusher.execute(updates, "save_people")
        contacts, waiting_contacts = pusher.plan("contacts_to_push", params)
        results += pusher.execute(contacts, "save_contacts", journal=True)
        counts = tally(results, skipped + waiting + waiting_contacts)
        touched = counts.pop("touched")
        counts["unchanged"] = conn.execute(
            "SELECT count(*) FROM church.people WHERE pco_id IS NOT NULL AND id <> ALL (%s)",
            (touched,)).fetchone()[0]
    finally:
        if dry_run:
            conn.rollback()
    counts["skipped_reasons"] = dict(Counter(s["skip"] for s in skipped
                                             if s["skip"] != "waiting to retry"))
    counts["requests"] = (client.stats.requests - before) if client else 0
    if dry_run:
        counts["operations"] = pusher.operations
    return counts


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
