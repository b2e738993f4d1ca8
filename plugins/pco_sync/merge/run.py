"""Merge this run's staged PCO records of one resource into the church schema.

The resource's steps (include/sql/merge/, in the order the registry lists them) run inside
one transaction under the merge lock, so a failed merge leaves nothing half-done and two
runs never merge at once; its counts query gives one row of counts per summary row. The SQL
reads the run from current_setting('pco_sync.run_id'); steps hand each other temp tables
that are dropped at commit. After a merge, the streams this run read whole count as fully
synced (sync.full_syncs), so windowed runs may follow, and each merged stream's pulls reach
as far as this run read (sync.pulled_until), where a manual run reads on from.
"""
from __future__ import annotations

import logging

import psycopg

from pco_sync import church_db, sqlfiles
from pco_sync.pco import resources

log = logging.getLogger(__name__)


def merge(conn: psycopg.Connection, resource: str, run_id: str) -> dict[str, dict]:
    """Merge `resource` for `run_id`: {summary row: counts}, e.g. {"people": {"created": 3, ...}}."""
    res = resources.resource(resource)
    church_db.use_run(conn, run_id)
    with conn.transaction():
        church_db.merge_lock(conn)
        for step in res.merge_steps:
            conn.execute(sqlfiles.read(f"merge/{step}"))
        rows = conn.execute(sqlfiles.read(f"merge/{res.merge_counts}")).fetchall()
        conn.execute(sqlfiles.read("sync/record_full_syncs.sql"), {"streams": list(res.streams)})
        conn.execute(sqlfiles.read("sync/record_pulled_until.sql"), {"streams": list(res.streams)})
    counts = {row: {k: int(v) for k, v in values.items()} for row, values in rows}
    log.info("merged %s: %s", resource, counts)
    return counts
