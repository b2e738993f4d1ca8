"""Smoke test of the project skeleton: the church database is reachable."""

import psycopg

from devkit import devdb


def test_church_db_reachable_and_recent():
    url = devdb.church_db_url()
    assert url.startswith("postgresql://")
    with psycopg.connect(url, connect_timeout=15) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
        assert conn.info.server_version >= 140000, conn.info.server_version
