"""One resource of one run into staging: how it is read (the registry decides, told whether
its first full pull was ever merged here), then each of its streams in order.
"""
from __future__ import annotations

import logging
from typing import Callable

import psycopg

from pco_sync import church_db, sqlfiles
from pco_sync.errors import PcoError
from pco_sync.extract.absent import confirm_absent
from pco_sync.extract.children import extract_children
from pco_sync.extract.staging import extract
from pco_sync.pco import resources
from pco_sync.pco.client import PcoClient
from pco_sync.pco.resources import Read

log = logging.getLogger(__name__)


def never_fully_synced(conn: psycopg.Connection, resource: str) -> bool:
    """Whether the resource's first full pull was never merged into this database
    (sync.full_syncs, written by the merge)."""
    first = resources.resource(resource).streams[0]
    with conn.transaction():
        return conn.execute(sqlfiles.read("sync/never_fully_synced.sql"),
                            {"stream": first}).fetchone()[0]


def pulled_until(conn: psycopg.Connection, resource: str):
    """How far the merged pulls of the resource reach (None: never merged here)."""
    first = resources.resource(resource).streams[0]
    with conn.transaction():
        row = conn.execute(sqlfiles.read("sync/pulled_until.sql"), {"stream": first}).fetchone()
    return row[0] if row else None


def plan(conn: psycopg.Connection, resource: str, window_start=None, window_end=None, *,
         full_refresh: bool = False, manual: bool = False, until=None) -> Read | None:
    """How this run reads `resource` (None: not due this run); see Resource.read.

    A scheduled run or a backfill reads its data interval. A run triggered by hand, or one
    without a data interval, reads from where the merged pulls reach up to `until` (the
    moment the run started), so a change made in PCO just before is in it."""
    res = resources.resource(resource)
    if until is not None and (manual or window_start is None):
        since = pulled_until(conn, resource)
        if since is not None:
            window_start, window_end = min(since, until), until
        else:
            window_start = window_end = None  # never merged a pull here: read whole
    first = window_start is not None and never_fully_synced(conn, resource)
    return res.read(window_start, window_end, full_refresh=full_refresh, manual=manual,
                    first_sync=first)


def extract_resource(client: PcoClient, conn: psycopg.Connection, resource: str, run_id: str,
                     read: Read = resources.WHOLE,
                     progress: Callable[[dict], None] | None = None) -> dict:
    """Every stream of `resource` into staging: {stream: its extract result}. A resource the
    PCO token may not read (403: the church has no such PCO product, or the token's user no
    access to it) is not read: {"not_read": "no access: ..."}, and nothing of it is staged.
    progress: called with how far each stream's read is (pco_sync.progress). A church
    connected by OAuth without the product's scope is not read either: {"not_read": "not
    granted: ..."}, without a request."""
    missing = sorted({resources.stream(n).path.strip("/").split("/")[0]
                      for n in resources.resource(resource).streams
                      if not client.granted(resources.stream(n).path)})
    if missing:
        log.warning("%s not read: not granted (the church's Planning Center connection lacks "
                    "the scope %s; reconnect it on the PCO Sync page granting it, or leave "
                    "%s out of the resources to sync)", resource, ", ".join(missing), resource)
        return {"not_read": f"not granted (no {', '.join(missing)} scope: reconnect granting "
                            "it on the PCO Sync page)"}
    try:
        return _extract_streams(client, conn, resource, run_id, read, progress)
    except PcoError as exc:
        if exc.status != 403:
            raise
        conn.rollback()
        _forget(conn, resource, run_id)
        log.warning("%s not read: no access (PCO answered 403: %s). Give the token's user "
                    "access in PCO, or leave %s out of the resources to sync.", resource,
                    exc.detail, resource)
        return {"not_read": f"no access (PCO answered 403: {exc.detail})"}


def _forget(conn: psycopg.Connection, resource: str, run_id: str) -> None:
    church_db.use_run(conn, run_id)
    with conn.transaction():
        for name in resources.resource(resource).streams:
            conn.execute(sqlfiles.statement("extract/clear_stream.sql",
                                            table=sqlfiles.staging_table(name)))
            conn.execute(sqlfiles.read("extract/forget_extract.sql"), {"stream": name})


def _extract_streams(client: PcoClient, conn: psycopg.Connection, resource: str, run_id: str,
                     read: Read, progress: Callable[[dict], None] | None) -> dict:
    results = {}
    for name in resources.resource(resource).streams:
        spec = resources.stream(name)
        if spec.parent:
            results[name] = extract_children(client, conn, name, run_id, progress)
            continue
        results[name] = extract(client, conn, name, run_id, read, progress)
        if results[name]["mode"] == "snapshot" and spec.confirm_gone:
            results[name].update(confirm_absent(client, conn, name, run_id))
    conn.commit()
    log.info("extracted %s (%s): %s", resource, read.why, results)
    return results
