"""Shared fixtures: the repo on sys.path, the recordings, a PCO simulator over real HTTP,
the test church database. Helpers every folder's tests use live beside this file
(pipeline.py, push_helpers.py, databases.py)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "plugins", ROOT / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from pco_simulator import SimConfig, Simulator  # noqa: E402

# Real PCO API recordings (pypco's test cassettes, MIT; see recordings/README.md).
SAMPLES = ROOT / "tests" / "recordings"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def seeded_sim():
    """One generated church shared by read-only tests (do not write to it)."""
    with Simulator(SimConfig(rate_limit=100_000), people=400, seed=11) as sim:
        yield sim


@pytest.fixture
def sim():
    """A fresh, empty simulator per test, generous limits; tests seed what they need."""
    with Simulator(SimConfig(rate_limit=100_000)) as s:
        yield s


@pytest.fixture
def pco(sim):
    """A requests session authenticated against the per-test simulator."""
    s = requests.Session()
    s.auth = sim.auth
    s.base = sim.url
    yield s
    s.close()


# ---- the church database ------------------------------------------------------------------
@pytest.fixture(scope="session")
def db_url():
    """A migrated test database on TEST_DATABASE_URL's server or the embedded one."""
    import psycopg
    from psycopg import sql

    from devkit import devdb
    from pco_sync import church_db

    server = devdb.church_db_url()
    # PCO_SYNC_TEST_DB lets two suites share one server without dropping each other's data.
    name = os.environ.get("PCO_SYNC_TEST_DB", "pco_sync_test")
    with psycopg.connect(server, autocommit=True) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    url = devdb.ensure_database(server, name)
    with church_db.connect(url) as conn:
        church_db.apply_migrations(conn)
    return url


@pytest.fixture
def db(db_url):
    """A connection to the test database with every table of ours emptied first."""
    from pco_sync import church_db

    with church_db.connect(db_url) as conn:
        tables = conn.execute(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
            "WHERE schemaname IN ('church', 'sync', 'pco_staging') "
            "AND tablename <> 'schema_migrations'").fetchall()
        if tables:
            conn.execute("TRUNCATE " + ", ".join(t for (t,) in tables) + " RESTART IDENTITY CASCADE")
        conn.commit()
        yield conn

