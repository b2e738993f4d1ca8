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


@pytest.mark.timeout(600)
def test_each_church_gets_its_pool_and_hears_which_connections_it_lacks(tmp_path):
    """With a churches.yaml: a one-slot pool per church, created where missing like the rest,
    and a line per church naming the connections Airflow does not have (no credentials are
    made up)."""
    file = tmp_path / "churches.yaml"
    file.write_text("churches:\n  - slug: grace\n    name: Grace Church\n"
                    "  - slug: hope\n    church_db_conn_id: hope_db\n")
    env = {**migrated(tmp_path / "airflow"), "PCO_SYNC_CHURCHES_FILE": str(file),
           "AIRFLOW_CONN_PCO_GRACE": "pco://app:secret@pco.example",
           "AIRFLOW_CONN_CHURCH_DB_GRACE": "postgresql://u@h/grace"}
    out = python(env, "-m", "devkit.airflow_settings", "apply").stdout
    done = outcomes(out)
    assert done["pool pco_api__grace"] == "created (church grace)"
    assert done["pool pco_api__hope"] == "created (church hope)"
    assert done["pool pco_api"] == "created"  # the file's own items as before
    assert "church grace: connections pco_grace, church_db_grace found" in out
    assert ("church hope: MISSING connection(s) pco_hope (pco: PCO base URL, application id "
            "and secret); hope_db (postgres: the church's own database)") in out
    assert "as AIRFLOW_CONN_PCO_HOPE, AIRFLOW_CONN_HOPE_DB" in out
    pools = stored(env)["pools"]
    assert (pools["pco_api__grace"], pools["pco_api__hope"]) == (1, 1)

    # What a person changed stays; a connection added later is found on the next start.
    airflow(env, "pools", "set", "pco_api__hope", "2", "two tokens")
    out = python({**env, "AIRFLOW_CONN_PCO_HOPE": "pco://a:b@h",
                  "AIRFLOW_CONN_HOPE_DB": "postgresql://u@h/hope"},
                 "-m", "devkit.airflow_settings", "apply").stdout
    assert outcomes(out)["pool pco_api__hope"] == "kept (exists) (church hope)"
    assert "church hope: connections pco_hope, hope_db found" in out
    assert stored(env)["pools"]["pco_api__hope"] == 2

    # A file that cannot be used: its error, and nothing applied.
    file.write_text("churches:\n  - slug: grace\n  - slug: grace\n")
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "devkit.airflow_settings", "apply"],
                          env={**env, "AIRFLOW_HOME": env["PCO_SYNC_AIRFLOW_HOME"]},
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 1 and "church 'grace' is listed twice" in proc.stderr
    assert "pool " not in proc.stdout
