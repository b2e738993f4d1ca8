"""The church database from pco_sync's side: connections, migrations, SQL files by name.

Migrations are the files in include/sql/schema/, applied in name order; each is written to
be re-runnable (CREATE ... IF NOT EXISTS and friends), and an advisory lock keeps two
tasks from applying them at once.
"""
from __future__ import annotations

from pathlib import Path

import psycopg

SQL_DIR = Path(__file__).resolve().parents[2] / "include" / "sql"
MIGRATION_LOCK = 7_304_211  # arbitrary advisory-lock key for schema changes
# Held by every merge transaction: runs of a backfill (which does not honour the DAG's
# max_active_runs) or a manual run beside a scheduled one then merge one after the other
# instead of racing to create the same people.
MERGE_LOCK = 7_304_212


def sql(name: str) -> str:
    """The text of include/sql/<name>, e.g. sql("merge/match_people.sql")."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def connect(url: str, **kw) -> psycopg.Connection:
    return psycopg.connect(url, **kw)


def apply_migrations(conn: psycopg.Connection) -> list[str]:
    """Apply every include/sql/schema/*.sql in order; returns the file names applied."""
    files = sorted((SQL_DIR / "schema").glob("*.sql"))
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        for f in files:
            conn.execute(f.read_text(encoding="utf-8"))
    return [f.name for f in files]
