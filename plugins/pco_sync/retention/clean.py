"""The clean-up at the end of every sync run: what the sync needs stays, nothing more.

Kept: each record's latest staged copy (the push, the latest-copy guard and the repair of
duplicates read it), every copy of the last `keep_runs` runs (for diagnosis), a copy an open
quarantine item is about (and its run's row-check results), and open quarantine rows and
pending webhook deliveries whatever their age. Deleted: older staged copies a newer one
replaced; settled quarantine rows, row-check results (Data Docs), merged webhook
deliveries, per-group list reads and run records past `keep_days`. The
decision history (sync.resolution_log) is an audit trail and is never deleted here.

Batched deletes, not per-run partitions: a run's partition could never be dropped while it
holds the only copy of some record (a person read once in January and never changed since),
so partitions would need the same row-by-row moves. Each batch is its own short transaction
on our own tables: the church application's tables are never locked, and a crash loses at
most one batch of work, which the next run does again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg
from psycopg import sql

from pco_sync import sqlfiles
from pco_sync.errors import SettingsError
from pco_sync.limits import RETENTION_BATCH as BATCH
from pco_sync.limits import RETENTION_DAYS as KEEP_DAYS
from pco_sync.limits import STAGING_KEEP_RUNS as KEEP_RUNS
from pco_sync.pco import resources

log = logging.getLogger(__name__)

KEEP_RUNS_VARIABLE = "pco_sync_staging_keep_runs"
KEEP_DAYS_VARIABLE = "pco_sync_retention_days"


@dataclass(frozen=True)
class Retention:
    keep_runs: int = KEEP_RUNS
    keep_days: int = KEEP_DAYS

    @classmethod
    def parse(cls, keep_runs=None, keep_days=None, names: tuple[str, str] = (
            KEEP_RUNS_VARIABLE, KEEP_DAYS_VARIABLE)) -> "Retention":
        """From the Variables' text (None or blank: the default); SettingsError names the
        Variable and the value."""
        return cls(_whole(keep_runs, KEEP_RUNS, names[0], least=1),
                   _whole(keep_days, KEEP_DAYS, names[1], least=0))


def _whole(raw, default: int, name: str, *, least: int) -> int:
    if raw is None or str(raw).strip() == "":
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        value = None
    if value is None or value < least:
        raise SettingsError(f"{name} must be a whole number of at least {least}, not {raw!r}")
    return value


def clean(conn: psycopg.Connection, run_id: str, retention: Retention = Retention(), *,
          batch: int = BATCH) -> dict[str, int]:
    """Delete what is not kept; rows deleted per kind ({"staged": n, "quarantine": n, ...}).
    `run_id` (the run cleaning up) is always kept."""
    with conn.transaction():
        kept = [r for (r,) in conn.execute(sqlfiles.read("retention/kept_runs.sql"),
                                           {"keep_runs": retention.keep_runs})]
    kept = sorted({run_id, *kept})
    params = {"kept": kept, "keep_days": retention.keep_days, "batch": batch}
    counts = {"staged": 0}
    for stream in resources.STREAMS:
        statement = sqlfiles.statement("retention/staging.sql",
                                       table=sqlfiles.staging_table(stream),
                                       stream=sql.Literal(stream))
        counts["staged"] += _in_batches(conn, statement, params)
    for kind in ("quarantine", "quality_results", "webhook_deliveries", "fetches", "extracts"):
        counts[kind] = _in_batches(conn, sqlfiles.read(f"retention/{kind}.sql"), params)
    log.info("clean-up (keeping %d runs, %d days): %s", retention.keep_runs,
             retention.keep_days, counts)
    return counts


def _in_batches(conn: psycopg.Connection, statement, params: dict) -> int:
    total = 0
    while True:
        with conn.transaction():
            deleted = conn.execute(statement, params).rowcount
        total += deleted
        if deleted < params["batch"]:
            return total
