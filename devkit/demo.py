"""make demo: a real pco_sync DAG run against the embedded defaults, and what it did.

The church database is AIRFLOW_CONN_CHURCH_DB when set, else the embedded PostgreSQL
(database `church`). PCO is AIRFLOW_CONN_PCO_DEFAULT when set, else the simulator with a
generated church of 2,000 people (seed 1, so every demo sees the same church: a second
demo finds everything unchanged).
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from pco_sync import devdb
from pco_sync.tasks import summary_table

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_HOME = Path(os.environ.get("PCO_SYNC_AIRFLOW_HOME", ROOT / ".local" / "airflow"))
LOG = ROOT / ".local" / "demo-last-run.log"
DEMO_PEOPLE = int(os.environ.get("PCO_SYNC_DEMO_PEOPLE", "2000"))


def church_db() -> tuple[str, str]:
    """(psycopg URL, Airflow connection URI) of the church database."""
    if os.environ.get(devdb.ENV_AIRFLOW_CONN):
        url = devdb.church_db_url()
    else:
        url = devdb.ensure_database(devdb.embedded_url(), "church")
    return url, devdb.airflow_conn_uri(url)


def run_dag(env: dict) -> tuple[int, str]:
    proc = subprocess.run([str(ROOT / "bin" / "airflow"), "dags", "test", "pco_sync", "-c",
                           json.dumps({"full_refresh": True})], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    LOG.write_text(proc.stdout + "\n" + proc.stderr)
    return proc.returncode, proc.stdout + proc.stderr


def summary_of(output: str) -> tuple[str | None, dict | None]:
    """The run id and summarize's XCom (what the UI shows for the run)."""
    m = re.search(r"DagRun Finished: dag_id=pco_sync, .*?run_id=(\S+?),", output)
    if not m:
        return None, None
    meta = sqlite3.connect(AIRFLOW_HOME / "airflow.db")
    try:
        row = meta.execute("SELECT value FROM xcom WHERE dag_id = 'pco_sync' AND run_id = ? "
                           "AND task_id = 'summarize' AND key = 'return_value'",
                           (m.group(1),)).fetchone()
    finally:
        meta.close()
    if not row:
        return m.group(1), None
    value = json.loads(row[0])
    return m.group(1), json.loads(value) if isinstance(value, str) else value


def main() -> int:
    url, airflow_uri = church_db()
    env = {**os.environ, "AIRFLOW_CONN_CHURCH_DB": airflow_uri,
           "PCO_SYNC_AIRFLOW_HOME": str(AIRFLOW_HOME)}
    sim = None
    if not os.environ.get("AIRFLOW_CONN_PCO_DEFAULT"):
        from pco_simulator import Simulator
        print(f"Starting the PCO simulator with a church of {DEMO_PEOPLE:,} people ...",
              flush=True)
        sim = Simulator(people=DEMO_PEOPLE, seed=1).start()
        env["AIRFLOW_CONN_PCO_DEFAULT"] = json.dumps({
            "conn_type": "pco", "host": sim.url, "login": sim.auth[0], "password": sim.auth[1]})
    where = "AIRFLOW_CONN_CHURCH_DB" if os.environ.get(devdb.ENV_AIRFLOW_CONN) else \
        "the embedded PostgreSQL (database 'church')"
    print(f"Church database: {where}", flush=True)
    print("Running a full sync: bin/airflow dags test pco_sync -c '{\"full_refresh\": true}'"
          " (about a minute) ...", flush=True)
    try:
        code, output = run_dag(env)
    finally:
        if sim is not None:
            sim.stop()
    run_id, summary = summary_of(output)
    if code != 0 or summary is None:
        print(f"\nThe sync run failed (exit {code}). Its output is in {LOG.relative_to(ROOT)};"
              " the failed task's error says why.", file=sys.stderr)
        print("\n".join(output.strip().splitlines()[-25:]), file=sys.stderr)
        return code or 1
    print(f"\nDAG run {run_id} succeeded. What it did:\n")
    print(summary_table(summary))
    print(f"""
Where to look next:
  - the whole run's output:       {LOG.relative_to(ROOT)}
  - the church data:               psql "{url}" -c 'select * from church.people limit 10'
  - quarantined records (why):     sync.quarantine    ambiguous matches: sync.match_review
  - conflicts (local vs PCO):      sync.conflicts
  - the Airflow UI (runs, counts): make airflow   (then http://localhost:8080)
Run `make demo` again: the same church finds everything unchanged (0 created).""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
