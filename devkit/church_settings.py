"""Airflow settings for the churches of a churches file (churches.yaml, PCO_SYNC_CHURCHES_FILE),
created where missing and kept where they exist (as devkit.airflow_settings does):

- per church its pool, one slot: PCO's rate limit is per account, so one church's PCO tasks
  run one at a time and never wait for another church's;
- no Variables: a church's pco_sync_*__<slug> Variables left unset are its entry in the
  file, so an edit of the file is never hidden behind a copy made here;
- connections given to it (make celery's local simulators and databases). A deployment
  sets each church's connections with AIRFLOW_CONN_<ID> variables (docker-compose's .env)
  or in Admin > Connections; `apply` says, per church, where each one comes from or that it
  is missing.

    python -m devkit.church_settings apply [--create-databases]
        # docker compose's airflow-init (with --create-databases); make celery

--create-databases creates the database each church's church_db connection names, when
missing, on that connection's server (docker compose's church-db service holds one per
church); the first run's ensure_schema then migrates it.

Without a churches file there is nothing to do (the default church's settings are
airflow_settings.yaml's). Run it with the project's Airflow environment (AIRFLOW_HOME).
"""
from __future__ import annotations

import json
import os
import sys

# make celery hands its local connections (JSON list of airflow_settings entries) in this.
ENV_CONNECTIONS = "PCO_SYNC_CHURCH_CONNECTIONS"


def settings(churches: list, connections: list[dict] = ()) -> dict:
    """airflow_settings entries (connections, pools) for `churches` (Church records); the
    default church has none of its own (airflow_settings.yaml's)."""
    pools = []
    for church in churches:
        if church.is_default:
            continue
        pools.append({"pool_name": church.pool, "pool_slot": 1,
                      "pool_description": f"Requests to Planning Center for {church.name} "
                                          "(one per-account rate limit)"})
    return {"connections": list(connections), "pools": pools, "variables": []}


def connection_sources(churches: list, stored: set[str], given: set[str]) -> list[str]:
    """Per church connection: where it comes from, or that it is missing and how to set it."""
    lines = []
    for church in churches:
        if church.is_default:
            continue
        for conn_id in (church.pco_conn_id, church.church_db_conn_id):
            env = f"AIRFLOW_CONN_{conn_id.upper()}"
            if os.environ.get(env):
                lines.append(f"connection {conn_id} ({church.slug}): from {env}")
            elif conn_id in stored or conn_id in given:
                lines.append(f"connection {conn_id} ({church.slug}): stored")
            else:
                lines.append(f"connection {conn_id} ({church.slug}): MISSING: set {env} "
                             "(.env for docker compose) or add it in Admin > Connections")
    return lines


def apply(churches: list | None = None) -> list[str]:
    from airflow.models import Connection
    from airflow.utils.session import create_session

    from devkit import airflow_settings
    from pco_sync import churches as church_file

    churches = church_file.load() if churches is None else churches
    given = json.loads(os.environ.get(ENV_CONNECTIONS) or "[]")
    done = airflow_settings.apply_settings(settings(churches, given))
    with create_session() as session:
        stored = {c for (c,) in session.query(Connection.conn_id)}
    return done + connection_sources(churches, stored, {c["conn_id"] for c in given})


def create_databases(churches: list | None = None) -> list[str]:
    """The database of each church's church_db connection, created where missing."""
    from airflow.models import Connection

    from devkit import devdb
    from pco_sync import churches as church_file

    churches = church_file.load() if churches is None else churches
    lines = []
    for church in churches:
        try:
            conn = Connection.get_connection_from_secrets(church.church_db_conn_id)
        except Exception:  # noqa: BLE001 - a missing connection is reported by apply
            continue
        url = devdb.airflow_conn_to_url(conn.get_uri())
        name = conn.schema or "postgres"
        try:
            devdb.ensure_database(devdb.with_database(url, "postgres"), name)
            lines.append(f"database {name} ({church.slug}): exists")
        except Exception as exc:  # noqa: BLE001 - said, never fatal: the run says it again
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            lines.append(f"database {name} ({church.slug}): not created ({first})")
    return lines


def _main(argv: list[str]) -> int:
    if not argv or argv[0] != "apply" or set(argv[1:]) - {"--create-databases"}:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for line in apply():
        print("  " + line, flush=True)
    if "--create-databases" in argv:
        for line in create_databases():
            print("  " + line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
