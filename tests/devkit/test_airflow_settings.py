"""Applying airflow_settings.yaml creates what is missing and keeps what exists (a setting a
church changed in the UI survives every restart), unless asked to overwrite; an entry an
environment variable sets is not stored. Against a real Airflow metadata DB (SQLite, in a
throwaway home), through the command docker compose's airflow-init and `make airflow` run."""
from __future__ import annotations

import pytest

from airflow_home import airflow, migrated, outcomes, python, stored

from devkit import airflow_settings

SHIPPED = airflow_settings.load()
ITEMS = ([f"connection {c['conn_id']}" for c in SHIPPED["connections"]]
         + [f"pool {p['pool_name']}" for p in SHIPPED["pools"]]
         + [f"variable {v['variable_name']}" for v in SHIPPED["variables"]])

# What a church changes in the UI between two restarts.
EDIT = """
from airflow.models import Connection, Pool, Variable
from airflow.utils.session import create_session
with create_session() as s:
    s.query(Connection).filter(Connection.conn_id == "pco_default").one().login = "church_app"
    Pool.create_or_update_pool("pco_api", 3, "ours", include_deferred=False, session=s)
    s.query(Variable).filter(Variable.key == "pco_sync_push_require_email").delete()
"""


def apply(env, *args):
    return outcomes(python(env, "-m", "devkit.airflow_settings", "apply", *args).stdout)


@pytest.mark.timeout(600)
def test_apply_keeps_what_was_changed_and_overwrites_only_when_asked(tmp_path):
    env = migrated(tmp_path / "airflow")
    assert apply(env) == {item: "created" for item in ITEMS}
    first = stored(env)
    assert first["variables"]["pco_sync_push_scope"] == "everyone"
    assert first["pools"]["pco_api"] == 1
    assert first["connections"]["pco_default"]["login"] == "pco_app_id"

    # The contract's way to change a setting, then edits as the UI makes them.
    airflow(env, "variables", "set", "pco_sync_push_scope", "sync_groups")
    python(env, "-c", EDIT)

    # A restart: changed items are kept, the deleted one is back, env-set ones not stored.
    again = apply({**env, "AIRFLOW_CONN_CHURCH_DB": "postgresql://u@h/d",
                   "AIRFLOW_VAR_PCO_SYNC_PUSH_SYNC_GROUPS": '["Choir"]'})
    assert again["connection pco_default"] == "kept (exists)"
    assert again["pool pco_api"] == "kept (exists)"
    assert again["variable pco_sync_push_scope"] == "kept (exists)"
    assert again["variable pco_sync_push_require_email"] == "created"
    assert again["connection church_db"] == "from AIRFLOW_CONN_CHURCH_DB (not stored)"
    assert again["variable pco_sync_push_sync_groups"] == \
        "from AIRFLOW_VAR_PCO_SYNC_PUSH_SYNC_GROUPS (not stored)"
    kept = stored(env)
    assert kept["variables"]["pco_sync_push_scope"] == "sync_groups"
    assert kept["pools"]["pco_api"] == 3
    assert kept["connections"]["pco_default"]["login"] == "church_app"
    assert kept["variables"]["pco_sync_push_require_email"] == "true"
    assert kept["connections"]["church_db"] == first["connections"]["church_db"]

    # Asked explicitly: the file's values replace the changed ones.
    assert apply(env, "--overwrite") == {item: "overwritten" for item in ITEMS}
    reset = stored(env)
    assert reset["variables"]["pco_sync_push_scope"] == "everyone"
    assert reset["pools"]["pco_api"] == 1
    assert reset["connections"]["pco_default"]["login"] == "pco_app_id"
    assert reset["connections"]["pco_default"]["password"] == "pco_secret"
