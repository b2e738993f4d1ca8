"""The church database from pco_sync's side: connections, the run a session works for, the
merge lock, and migrations with a ledger.

Migrations are the files in include/sql/schema/, applied in name order. The ledger
(sync.schema_migrations) holds each applied file's SHA-256: a run applies only files the
ledger lacks, a run with nothing new reads the ledger and executes no DDL (no lock on the
church's tables, so the church application's own writes are never blocked by a sync), and
an applied file whose text changed is an error: add a new file instead.
"""
from __future__ import annotations

import hashlib
import logging

import psycopg
from psycopg.pq import TransactionStatus

from pco_sync import sqlfiles
from pco_sync.errors import MigrationError

log = logging.getLogger(__name__)


def connect(url: str, **kw) -> psycopg.Connection:
    """A psycopg connection from a URL (tests and dev tooling; tasks use PostgresHook)."""
    return psycopg.connect(url, **kw)


def use_run(conn: psycopg.Connection, run_id: str) -> None:
    """Make `run_id` the run of this session's statements (current_setting('pco_sync.run_id'))."""
    idle = conn.info.transaction_status == TransactionStatus.IDLE
    conn.execute(sqlfiles.read("church_db/use_run.sql"), {"run_id": run_id})
    if idle and not conn.autocommit:
        conn.commit()


def merge_lock(conn: psycopg.Connection) -> None:
    """Take the merge lock for the current transaction (merges apply one at a time)."""
    conn.execute(sqlfiles.read("church_db/merge_lock.sql"))


def migrations() -> list[tuple[str, str, str]]:
    """(file name, checksum, text) of every include/sql/schema/*.sql, in order."""
    files = sorted((sqlfiles.root() / "schema").glob("*.sql"))
    out = []
    for f in files:
        text = f.read_text(encoding="utf-8")
        out.append((f.name, hashlib.sha256(text.encode("utf-8")).hexdigest(), text))
    return out


def _pending(conn: psycopg.Connection, files) -> list[tuple[str, str, str]]:
    """The files the ledger lacks; raises on an applied file that changed or disappeared."""
    if not conn.execute(sqlfiles.read("church_db/ledger_exists.sql")).fetchone()[0]:
        return list(files)
    applied = dict(conn.execute(sqlfiles.read("church_db/ledger_applied.sql")).fetchall())
    changed = [name for name, checksum, _ in files if applied.get(name) not in (None, checksum)]
    if changed:
        raise MigrationError(
            f"migration {', '.join(changed)} changed after this database applied it "
            "(sync.schema_migrations holds another checksum). Applied migrations are never "
            "edited: restore the file and put the change in a new file of include/sql/schema")
    known = {name for name, _, _ in files}
    missing = sorted(set(applied) - known)
    if missing:
        raise MigrationError(
            f"this database applied {', '.join(missing)}, which include/sql/schema does not "
            "have: the code is older than the database; deploy the newer code")
    return [f for f in files if f[0] not in applied]


def apply_migrations(conn: psycopg.Connection) -> list[str]:
    """Apply the migrations this database has not applied yet; the names applied (none:
    nothing was executed but reads of the ledger)."""
    files = migrations()
    with conn.transaction():
        if not _pending(conn, files):
            return []
    with conn.transaction():
        conn.execute(sqlfiles.read("church_db/migration_lock.sql"))
        pending = _pending(conn, files)  # again under the lock: another task may have applied them
        if pending:
            conn.execute(sqlfiles.read("church_db/ledger_create.sql"))
        for name, checksum, text in pending:
            conn.execute(text)
            conn.execute(sqlfiles.read("church_db/ledger_record.sql"),
                         {"filename": name, "checksum": checksum})
            log.info("applied migration %s", name)
    return [name for name, _, _ in pending]
