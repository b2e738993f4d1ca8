"""Migrations with a ledger: a database applies each file of include/sql/schema once; a run
with nothing new executes no DDL (so it never waits for, or blocks, the church application's
writes); a new file is applied alone; an applied file that changed is a clear error."""
from __future__ import annotations

import shutil

import psycopg
import pytest

from databases import scratch_database
from pco_sync import church_db, sqlfiles
from pco_sync.errors import MigrationError


@pytest.fixture
def fresh_db():
    with scratch_database("pco_sync_ledger") as url:
        yield url


@pytest.fixture
def sql_copy(tmp_path, monkeypatch):
    """A copy of include/sql that a test may add to or edit, used through PCO_SYNC_SQL_DIR."""
    copy = tmp_path / "sql"
    shutil.copytree(sqlfiles.root(), copy)
    monkeypatch.setenv(sqlfiles.ENV, str(copy))
    return copy


def shape(conn):
    return conn.execute(
        "SELECT table_schema, table_name, column_name, data_type FROM "
        "information_schema.columns WHERE table_schema IN ('church','sync','pco_staging') "
        "ORDER BY 1, 2, 3").fetchall()


def test_each_file_is_applied_once_and_recorded(fresh_db):
    files = sorted(p.name for p in (sqlfiles.root() / "schema").glob("*.sql"))
    with church_db.connect(fresh_db) as conn:
        assert church_db.apply_migrations(conn) == files
        before = shape(conn)
        assert church_db.apply_migrations(conn) == []
        assert shape(conn) == before and before
        ledger = dict(conn.execute("SELECT filename, checksum FROM sync.schema_migrations"))
    assert sorted(ledger) == files
    assert all(len(checksum) == 64 for checksum in ledger.values())


def test_a_run_with_nothing_new_takes_no_lock_on_church_tables(fresh_db):
    with church_db.connect(fresh_db) as conn:
        church_db.apply_migrations(conn)
        conn.commit()
    # The church application is writing to church.people (an open transaction holding its
    # row-exclusive lock) while a sync run starts.
    with psycopg.connect(fresh_db) as app, psycopg.connect(fresh_db) as sync:
        app.execute("INSERT INTO church.people (first_name, last_name) VALUES ('App', 'Write')")
        sync.execute("SET lock_timeout = '1s'")
        sync.commit()
        assert church_db.apply_migrations(sync) == []  # no DDL: no wait, no error
        # Re-running the migration files as every run used to would have waited on it.
        with pytest.raises(psycopg.errors.LockNotAvailable):
            sync.execute((sqlfiles.root() / "schema" / "010_church.sql").read_text())
        sync.rollback()
        app.rollback()


def test_a_new_file_is_applied_alone(fresh_db, sql_copy):
    with church_db.connect(fresh_db) as conn:
        church_db.apply_migrations(conn)
        (sql_copy / "schema" / "999_test_addition.sql").write_text(
            "CREATE TABLE sync.test_addition (id int);\n")
        assert church_db.apply_migrations(conn) == ["999_test_addition.sql"]
        assert conn.execute("SELECT to_regclass('sync.test_addition')").fetchone()[0]
        assert church_db.apply_migrations(conn) == []


def test_an_applied_file_that_changed_is_a_clear_error(fresh_db, sql_copy):
    with church_db.connect(fresh_db) as conn:
        church_db.apply_migrations(conn)
        edited = sql_copy / "schema" / "022_sync_removed.sql"
        edited.write_text(edited.read_text() + "\n-- an edit after it was applied\n")
        with pytest.raises(MigrationError, match="022_sync_removed.sql changed after"):
            church_db.apply_migrations(conn)


def test_the_sql_folder_is_a_setting(monkeypatch, tmp_path):
    monkeypatch.setenv(sqlfiles.ENV, str(tmp_path / "nowhere"))
    from pco_sync.errors import SqlFilesError

    with pytest.raises(SqlFilesError, match="PCO_SYNC_SQL_DIR"):
        sqlfiles.root()


def test_a_migration_behind_an_application_transaction_fails_in_time_naming_it(fresh_db,
                                                                                 sql_copy):
    with church_db.connect(fresh_db) as conn:
        church_db.apply_migrations(conn)
    (sql_copy / "schema" / "999_test_column.sql").write_text(
        "ALTER TABLE church.people ADD COLUMN test_column text;\n")
    with psycopg.connect(fresh_db, application_name="church-app") as app, \
            church_db.connect(fresh_db) as sync:
        app.execute("SELECT count(*) FROM church.people")  # an open transaction reading people
        with pytest.raises(MigrationError) as failed:
            church_db.apply_migrations(sync, lock_timeout=0.5)
        said = str(failed.value)
        assert "999_test_column.sql could not lock a table within 0.5 s" in said
        assert f"pid {app.info.backend_pid}" in said and "application church-app" in said
        assert "church.people" in said and "idle in transaction" in said
        # nothing applied: the ledger and the table are as before; once the app commits, it is
        assert sync.execute("SELECT count(*) FROM sync.schema_migrations WHERE filename = "
                            "'999_test_column.sql'").fetchone()[0] == 0
        sync.rollback()
        app.commit()
        assert church_db.apply_migrations(sync, lock_timeout=0.5) == ["999_test_column.sql"]


def test_statements_run_under_the_sessions_timeout(fresh_db):
    with church_db.connect(fresh_db) as conn:
        church_db.set_timeouts(conn, statement_timeout=0.2)
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "200ms"
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT pg_sleep(2)")
