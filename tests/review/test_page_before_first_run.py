"""The PCO Sync page of a church whose database the sync has not prepared yet answers (200)
and says why, instead of failing on tables that do not exist: before the first run, and
after an upgrade whose migrations the next run applies. Its JSON API answers 409."""
from __future__ import annotations

import pytest
from fastapi import HTTPException

from databases import scratch_database
from pco_sync import church_db
from pco_sync.airflow import review_api


@pytest.fixture
def empty_db():
    with scratch_database("pco_sync_before_first_run") as url:
        yield url


def test_before_the_first_run_the_page_says_nothing_has_run(empty_db):
    with church_db.connect(empty_db) as conn:
        page = review_api._not_synced("pco_sync", conn)
        assert page is not None and page.status_code == 200
        text = page.body.decode()
        assert "Nothing has run yet for this church" in text and "pco_sync" in text
        with pytest.raises(HTTPException) as refused:
            review_api._ready("pco_sync", conn)
        assert refused.value.status_code == 409
        assert church_db.pending_migrations(conn) == [n for n, _, _ in church_db.migrations()]
        church_db.apply_migrations(conn)
        assert church_db.pending_migrations(conn) == []
        assert review_api._not_synced("pco_sync", conn) is None
        review_api._ready("pco_sync", conn)  # no error: the page reads the database


def test_after_an_upgrade_the_page_names_what_the_next_run_applies(empty_db):
    with church_db.connect(empty_db) as conn:
        church_db.apply_migrations(conn)
        last = church_db.migrations()[-1][0]
        conn.execute("DELETE FROM sync.schema_migrations WHERE filename = %s", (last,))
        conn.commit()
        text = review_api._not_synced("pco_sync", conn).body.decode()
    assert "that the next run of <b>pco_sync</b> applies" in text and last in text
