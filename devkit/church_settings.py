"""What a deployment needs for the churches of a churches file (churches.yaml,
PCO_SYNC_CHURCHES_FILE) beyond devkit.airflow_settings, which already creates each church's
one-slot pool and names the connections Airflow lacks:

    python -m devkit.church_settings connections     # make celery
    python -m devkit.church_settings databases       # docker compose's airflow-init

- `connections` stores the connections make celery made for churches without their own
  (a local simulator, a database in the embedded PostgreSQL; PCO_SYNC_CHURCH_CONNECTIONS, a
  JSON list of airflow_settings entries), where missing.
- `databases` creates the database each church's church_db connection names, when missing,
  on that connection's server (docker compose's church-db service holds one per church); the
  first run's ensure_schema then migrates it. It needs the right to create databases there.

No Variables: a church's pco_sync_*__<slug> Variables left unset are its entry in the file,
so an edit of the file is never hidden behind a copy made here. Run it with the project's
Airflow environment (AIRFLOW_HOME).
"""
from __future__ import annotations

import json
import os
import sys

# make celery hands its local church connections (JSON list of airflow_settings entries) in this.
ENV_CONNECTIONS = "PCO_SYNC_CHURCH_CONNECTIONS"


def store_connections() -> list[str]:
    from devkit import airflow_settings

    given = json.loads(os.environ.get(ENV_CONNECTIONS) or "[]")
    # churches=[]: the pools and the connection report are airflow_settings.yaml's apply's.
    return airflow_settings.apply_settings({"connections": given}, churches=[])


def create_databases(churches: list | None = None) -> list[str]:
    """The database of each church's church_db connection, created where missing."""
    from airflow.models import Connection

    from devkit import devdb
    from pco_sync import churches as church_file

    churches = church_file.load(strict=True) if churches is None else churches
    lines = []
    for church in churches:
        try:
            conn = Connection.get_connection_from_secrets(church.church_db_conn_id)
        except Exception:  # noqa: BLE001 - airflow_settings apply names a missing connection
            lines.append(f"database of {church.slug}: no connection {church.church_db_conn_id}")
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
    commands = {"connections": store_connections, "databases": create_databases}
    if len(argv) != 1 or argv[0] not in commands:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for line in commands[argv[0]]():
        print("  " + line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
