"""Migrations apply to an empty database and again to a migrated one without change."""
from pco_sync import db as pco_db


def test_migrations_are_idempotent(db):
    def shape():
        return db.execute(
            "SELECT table_schema, table_name, column_name, data_type FROM "
            "information_schema.columns WHERE table_schema IN ('church','sync','pco_staging') "
            "ORDER BY 1, 2, 3").fetchall()
    before = shape()
    applied = pco_db.apply_migrations(db)
    assert applied == sorted(applied) and applied[0] == "001_schemas.sql"
    assert shape() == before and before
