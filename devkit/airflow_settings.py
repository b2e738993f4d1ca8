"""Apply airflow_settings.yaml (astro-cli format) to the Airflow metadata DB.

    python -m devkit.airflow_settings apply [--overwrite] [PATH]   # default: <repo>/airflow_settings.yaml
    python -m devkit.airflow_settings show  [PATH]                 # what would be applied (secrets masked)

Applying creates the connections, pools and variables that are missing and keeps every one
that exists, so what a church changed in the UI survives restarts; each item's line says
"created" or "kept (exists)". `--overwrite` replaces existing ones with the file's values.
An entry whose AIRFLOW_CONN_<ID> / AIRFLOW_VAR_<KEY> environment variable is set is
skipped: Airflow reads the environment first, so the variable wins anyway.

With a churches.yaml (pco_sync.churches; PCO_SYNC_CHURCHES_FILE names another file) each
church also gets its PCO pool (one slot: PCO's rate limit is per account), created where
missing like the rest, and a line saying which of its two connections (its PCO account, its
own database) Airflow does not have yet: credentials cannot be made up here. Its Variables
need nothing: unset, they are the church's entry in the file.
Run it with the project's Airflow environment (``bin/airflow`` sets AIRFLOW_HOME).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "airflow_settings.yaml"
KINDS = ("connections", "pools", "variables")


def load(path: str | Path = DEFAULT_PATH) -> dict:
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    section = doc.get("airflow") or {}
    return {k: list(section.get(k) or []) for k in KINDS}


def connection_fields(entry: dict) -> dict:
    """One astro-style connection entry as Connection(...) keyword arguments; an entry may
    give `conn_uri` instead of the separate fields."""
    if entry.get("conn_uri"):
        return {"conn_id": entry["conn_id"], "uri": entry["conn_uri"]}
    extra = entry.get("conn_extra")
    if isinstance(extra, dict):
        extra = {k: v for k, v in extra.items() if v not in (None, "")}
        extra = json.dumps(extra) if extra else None
    return {
        "conn_id": entry["conn_id"], "conn_type": entry["conn_type"],
        "host": entry.get("conn_host"), "schema": entry.get("conn_schema"),
        "login": entry.get("conn_login"), "password": entry.get("conn_password"),
        "port": int(entry["conn_port"]) if entry.get("conn_port") else None, "extra": extra or None,
    }


def env_overrides(conn_id: str) -> bool:
    return bool(os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}"))


def env_var_overrides(key: str) -> bool:
    return bool(os.environ.get(f"AIRFLOW_VAR_{key.upper()}"))


def _outcome(existed: bool, overwrite: bool) -> str:
    if not existed:
        return "created"
    return "overwritten" if overwrite else "kept (exists)"


def apply_settings(settings: dict, *, overwrite: bool = False,
                   churches: list | None = None) -> list[str]:
    """Write `settings` (as `load` returns them) into the metadata DB, creating what is missing;
    existing items are kept unless `overwrite`; then each church's pool (`churches`: those of
    the churches file when None). Returns one line per item, for the log."""
    from airflow.models import Connection, Pool, Variable
    from airflow.utils.session import create_session

    from pco_sync import churches as churches_file

    if churches is None:
        churches = churches_file.load(strict=True)  # a broken entry: nothing is written
    done = []
    with create_session() as session:
        for entry in settings.get("connections", []):
            conn_id = entry["conn_id"]
            if env_overrides(conn_id):
                done.append(f"connection {conn_id}: from AIRFLOW_CONN_{conn_id.upper()} "
                            "(not stored)")
                continue
            old = session.query(Connection).filter(Connection.conn_id == conn_id).one_or_none()
            if old is None or overwrite:
                if old is not None:
                    session.delete(old)
                    session.flush()
                session.add(Connection(**connection_fields(entry)))
            done.append(f"connection {conn_id}: {_outcome(old is not None, overwrite)}")
        for entry in settings.get("pools", []):
            name = entry["pool_name"]
            old = Pool.get_pool(name, session=session)
            if old is None or overwrite:
                Pool.create_or_update_pool(name, int(entry["pool_slot"]),
                                           entry.get("pool_description") or "",
                                           include_deferred=False, session=session)
            done.append(f"pool {name}: {_outcome(old is not None, overwrite)}")
        for entry in settings.get("variables", []):
            key = entry["variable_name"]
            if env_var_overrides(key):
                done.append(f"variable {key}: from AIRFLOW_VAR_{key.upper()} (not stored)")
                continue
            old = session.query(Variable).filter(Variable.key == key).one_or_none()
            if old is None or overwrite:
                Variable.set(key, entry.get("variable_value"), session=session)
            done.append(f"variable {key}: {_outcome(old is not None, overwrite)}")
        for church in churches:
            if church.is_default:
                continue  # its pool is the file's pco_api
            old = Pool.get_pool(church.pool, session=session)
            if old is None or overwrite:
                Pool.create_or_update_pool(church.pool, 1, f"Requests to Planning Center of "
                                           f"{church.name} (one per-account rate limit)",
                                           include_deferred=False, session=session)
            done.append(f"pool {church.pool}: {_outcome(old is not None, overwrite)} "
                        f"(church {church.slug})")
        session.flush()
        stored = {c for (c,) in session.query(Connection.conn_id)}
        done += [church_connections(c, lambda i: i in stored or env_overrides(i))
                 for c in churches if not c.is_default]
    return done


def church_connections(church, exists) -> str:
    """What Airflow lacks of the church's connections (`exists(conn_id)`), in one line."""
    needed = {church.pco_conn_id: "pco: PCO base URL, application id and secret",
              church.church_db_conn_id: "postgres: the church's own database"}
    missing = [i for i in needed if not exists(i)]
    if not missing:
        return f"church {church.slug}: connections {', '.join(needed)} found"
    how = ", ".join(f"AIRFLOW_CONN_{i.upper()}" for i in missing)
    return (f"church {church.slug}: MISSING connection(s) "
            f"{'; '.join(f'{i} ({needed[i]})' for i in missing)}: in neither the metadata DB "
            f"nor the environment. Add them in Admin > Connections or as {how} (a secrets "
            "backend is not looked at here); until they exist its runs fail")


def apply(path: str | Path = DEFAULT_PATH, *, overwrite: bool = False) -> list[str]:
    """Apply the settings file (see the module docstring)."""
    return apply_settings(load(path), overwrite=overwrite)


def show(path: str | Path) -> None:
    s = load(path)
    for c in s["connections"]:
        fields = connection_fields(c)
        if c.get("conn_password"):
            fields["password"] = "***"
        print("connection", fields)
    for p in s["pools"]:
        print("pool", p)
    for v in s["variables"]:
        print("variable", v.get("variable_name"))


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m devkit.airflow_settings",
                                     description=__doc__.strip().splitlines()[0])
    parser.add_argument("command", choices=("apply", "show"))
    parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH))
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing connections, pools and variables")
    args = parser.parse_args(argv)
    if args.command == "show":
        show(args.path)
        return 0
    from pco_sync.errors import SettingsError

    try:
        lines = apply(args.path, overwrite=args.overwrite)
    except SettingsError as exc:  # churches.yaml cannot be used: say why, apply nothing
        print(exc, file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
