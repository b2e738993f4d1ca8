"""Apply airflow_settings.yaml (astro-cli format) to the Airflow metadata DB.

    python -m devkit.airflow_settings apply [PATH]    # default: <repo>/airflow_settings.yaml
    python -m devkit.airflow_settings show  [PATH]    # what would be applied (secrets masked)

Connections are created or replaced, except those an ``AIRFLOW_CONN_<ID>`` environment
variable defines: Airflow reads the environment first, so the variable wins anyway and the
entry is skipped. Pools and variables are created or updated. Re-running is harmless.
Run it with the project's Airflow environment (``bin/airflow`` sets AIRFLOW_HOME).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "airflow_settings.yaml"


def load(path: str | Path = DEFAULT_PATH) -> dict:
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    section = doc.get("airflow") or {}
    return {k: list(section.get(k) or []) for k in ("connections", "pools", "variables")}


def connection_fields(entry: dict) -> dict:
    """One astro-style connection entry as Connection(...) keyword arguments."""
    extra = entry.get("conn_extra")
    if isinstance(extra, dict):
        extra = json.dumps({k: v for k, v in extra.items() if v not in (None, "")}) if extra else None
    return {
        "conn_id": entry["conn_id"], "conn_type": entry["conn_type"],
        "host": entry.get("conn_host"), "schema": entry.get("conn_schema"),
        "login": entry.get("conn_login"), "password": entry.get("conn_password"),
        "port": int(entry["conn_port"]) if entry.get("conn_port") else None, "extra": extra or None,
    }


def env_overrides(conn_id: str) -> bool:
    return bool(os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}"))


def apply(path: str | Path = DEFAULT_PATH) -> list[str]:
    """Write the settings into the metadata DB; returns one line per item, for the log."""
    from airflow.models import Connection, Pool, Variable
    from airflow.utils.session import create_session

    settings, done = load(path), []
    with create_session() as session:
        for entry in settings["connections"]:
            conn_id = entry["conn_id"]
            if env_overrides(conn_id):
                done.append(f"connection {conn_id}: from AIRFLOW_CONN_{conn_id.upper()} (yaml entry skipped)")
                continue
            session.query(Connection).filter(Connection.conn_id == conn_id).delete()
            session.add(Connection(**connection_fields(entry)))
            done.append(f"connection {conn_id}: set ({entry['conn_type']})")
        for entry in settings["pools"]:
            Pool.create_or_update_pool(entry["pool_name"], int(entry["pool_slot"]),
                                       entry.get("pool_description") or "", include_deferred=False,
                                       session=session)
            done.append(f"pool {entry['pool_name']}: {entry['pool_slot']} slot(s)")
    for entry in settings["variables"]:
        Variable.set(entry["variable_name"], entry.get("variable_value"))
        done.append(f"variable {entry['variable_name']}: set")
    return done


def _main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("apply", "show") or len(argv) > 2:
        print(__doc__.strip().splitlines()[2:4], file=sys.stderr)
        return 2
    path = argv[1] if len(argv) == 2 else DEFAULT_PATH
    if argv[0] == "show":
        s = load(path)
        for c in s["connections"]:
            c = {**connection_fields(c), "password": "***" if c.get("conn_password") else None}
            print("connection", c)
        for p in s["pools"]:
            print("pool", p)
        for v in s["variables"]:
            print("variable", v.get("variable_name"))
        return 0
    for line in apply(path):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
