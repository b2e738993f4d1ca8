"""Throwaway databases on the test server, for tests that need a church database of their
own (a fresh one the DAG must migrate, a ledger to edit)."""
from __future__ import annotations

import os
from contextlib import contextmanager

import psycopg
from psycopg import sql

from devkit import devdb


@contextmanager
def scratch_database(prefix: str):
    """A new empty database, dropped afterwards. Named per process, so concurrent test
    sessions never drop each other's."""
    server = devdb.church_db_url()
    name = f"{prefix}_{os.getpid()}"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(server, autocommit=True) as c:
        c.execute(drop)
    try:
        yield devdb.ensure_database(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as c:
            c.execute(drop)
