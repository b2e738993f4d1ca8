"""One resource of one run into staging: how it is read (the registry decides, told whether
its first full pull was ever merged here), then each of its streams in order.
"""
from __future__ import annotations

import logging

import psycopg

from pco_sync import sqlfiles
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


def plan(conn: psycopg.Connection, resource: str, window_start=None, window_end=None, *,
         full_refresh: bool = False, manual: bool = False) -> Read | None:
    """How this run reads `resource` (None: not due this run); see Resource.read."""
    res = resources.resource(resource)
    first = res.snapshot_every is None and window_start is not None \
        and never_fully_synced(conn, resource)
    return res.read(window_start, window_end, full_refresh=full_refresh, manual=manual,
                    first_sync=first)


def extract_resource(client: PcoClient, conn: psycopg.Connection, resource: str, run_id: str,
                     read: Read = resources.WHOLE) -> dict:
    """Every stream of `resource` into staging: {stream: its extract result}."""
    results = {}
    for name in resources.resource(resource).streams:
        spec = resources.stream(name)
        if spec.parent:
            results[name] = extract_children(client, conn, name, run_id)
            continue
        results[name] = extract(client, conn, name, run_id, read)
        if results[name]["mode"] == "snapshot" and spec.confirm_gone:
            results[name].update(confirm_absent(client, conn, name, run_id))
    conn.commit()
    log.info("extracted %s (%s): %s", resource, read.why, results)
    return results
