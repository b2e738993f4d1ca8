"""The church database from pco_sync's side: connections, the run a session works for, the
merge lock, and migrations with a ledger.

Migrations are the files in include/sql/schema/, applied in name order. The ledger
(sync.schema_migrations) holds each applied file's SHA-256: a run applies only files the
ledger lacks, a run with nothing new reads the ledger and executes no DDL (no lock on the
church's tables, so the church application's own writes are never blocked by a sync), and
an applied file whose text changed is an error: add a new file instead. A migration waits
at most its lock timeout for a table another session holds (a church application's long
transaction), then fails with an error naming that session.
"""
from __future__ import annotations

import hashlib
import logging

import psycopg
from psycopg.pq import TransactionStatus

from pco_sync import limits, sqlfiles
from pco_sync.errors import MigrationError

log = logging.getLogger(__name__)


def connect(url: str, **kw) -> psycopg.Connection:
    """A psycopg connection from a URL (tests and dev tooling; tasks use PostgresHook)."""
    return psycopg.connect(url, **kw)


def set_timeouts(conn: psycopg.Connection, statement_timeout: float = limits.STATEMENT_TIMEOUT,
                 lock_timeout: float = 0) -> None:
    """The session's statement timeout and lock timeout, in seconds (0: none)."""
    idle = conn.info.transaction_status == TransactionStatus.IDLE
    conn.execute(sqlfiles.read("church_db/timeouts.sql"),
                 {"statement_ms": str(int(statement_timeout * 1000)),
                  "lock_ms": str(int(lock_timeout * 1000))})
    if idle and not conn.autocommit:
        conn.commit()


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


def pending_migrations(conn: psycopg.Connection) -> list[str]:
    """The migrations this database has not applied yet (all of them before the first run):
    what the next run's ensure_schema applies. Reads only."""
    with conn.transaction():
        return [name for name, _, _ in _pending(conn, migrations())]


def apply_migrations(conn: psycopg.Connection,
                     lock_timeout: float = limits.LOCK_TIMEOUT) -> list[str]:
    """Apply the migrations this database has not applied yet; the names applied (none:
    nothing was executed but reads of the ledger). A table lock not had within
    `lock_timeout` seconds (0: wait) is a MigrationError naming who holds it; nothing of
    the migrations is applied then."""
    files = migrations()
    with conn.transaction():
        if not _pending(conn, files):
            return []
    name = None
    try:
        with conn.transaction():
            conn.execute(sqlfiles.read("church_db/migration_lock.sql"))
            pending = _pending(conn, files)  # again under the lock: another task may have applied them
            if pending:
                conn.execute(sqlfiles.read("church_db/ledger_create.sql"))
            # Only now: waiting for another task's migrations above is not a lock to give up on.
            conn.execute(sqlfiles.read("church_db/local_lock_timeout.sql"),
                         {"lock_ms": str(int(lock_timeout * 1000))})
            for name, checksum, text in pending:
                conn.execute(text)
                conn.execute(sqlfiles.read("church_db/ledger_record.sql"),
                             {"filename": name, "checksum": checksum})
                log.info("applied migration %s", name)
    except psycopg.errors.LockNotAvailable:
        raise MigrationError(f"migration {name} could not lock a table within {lock_timeout:g} "
                             f"s; nothing was applied. {_holders(conn)} The next run tries "
                             "again; end or commit that transaction (or raise the Variable "
                             "pco_sync_lock_timeout).") from None
    return [name for name, _, _ in pending]


def _holders(conn: psycopg.Connection) -> str:
    """Who holds locks on our schemas' tables, said for an operator."""
    with conn.transaction():
        rows = conn.execute(sqlfiles.read("church_db/lock_holders.sql")).fetchall()
    if not rows:
        return "The session in the way has ended since."
    said = [f"pid {pid} (user {user}, application {app or '-'}, from {addr or 'local'}, "
            f"{state}, in a transaction since {str(since)[:19] if since else '-'}, holding "
            f"{tables}; last statement: {query})"
            for pid, user, app, addr, state, since, query, tables in rows]
    return "In the way: " + "; ".join(said) + "."
