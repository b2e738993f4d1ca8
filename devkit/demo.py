"""make demo: a real pco_sync DAG run against the embedded defaults, and what it did.

The demo is a sandbox that starts over each time and never touches `make airflow`'s state:
- its church database is the embedded PostgreSQL's `church_demo`, dropped and re-created
  by every demo (`make airflow` uses `church`); AIRFLOW_CONN_CHURCH_DB, when set, is used
  instead and not reset;
- PCO is a simulator with a freshly generated church of 2,000 people (seed 1), living only
  for this run (`make airflow`'s simulator keeps its own data), unless
  AIRFLOW_CONN_PCO_DEFAULT is set;
- its Airflow home is .local/airflow-demo (`make airflow` uses .local/airflow), so its
  dag.test() runs never pause or clutter the DAG `make airflow` schedules.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from devkit import devdb, local_airflow

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW_HOME = Path(os.environ.get("PCO_SYNC_DEMO_AIRFLOW_HOME", ROOT / ".local" / "airflow-demo"))
DEMO_DATABASE = "church_demo"
LOG = ROOT / ".local" / "demo-last-run.log"
SUMMARY = ROOT / ".local" / "demo-last-summary.json"
DEMO_PEOPLE = int(os.environ.get("PCO_SYNC_DEMO_PEOPLE", "2000"))


def church_db() -> tuple[str, str]:
    """(psycopg URL, Airflow connection URI) of the church database: the user's, else
    `church_demo` on the embedded server, emptied first (a demo starts over)."""
    if os.environ.get(devdb.ENV_AIRFLOW_CONN):
        url = devdb.church_db_url()
    else:
        url = devdb.recreate_database(devdb.embedded_url(), DEMO_DATABASE)
    return url, devdb.airflow_conn_uri(url)


def airflow_env(env: dict) -> dict:
    """The environment bin/airflow gives the Airflow CLI, for an in-process dag.test()."""
    return {**env, "AIRFLOW_HOME": str(AIRFLOW_HOME),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins"),
                                           env.get("PYTHONPATH", "")]).rstrip(os.pathsep)}


def run_dag(env: dict) -> int:
    """A full sync as `dag.test()` in a child process (its output goes to LOG); the child
    writes the run's summary, read back through Airflow's XCom, to SUMMARY."""
    # bin/airflow migrates the metadata database the first time.
    subprocess.run([str(ROOT / "bin" / "airflow"), "version"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    SUMMARY.unlink(missing_ok=True)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with LOG.open("w") as log:
        return subprocess.run([sys.executable, "-m", "devkit.demo", "--run-dag"], cwd=ROOT,
                              env=airflow_env(env), stdout=log, stderr=subprocess.STDOUT).returncode


def _run_dag_here() -> int:
    """In the child: dag.test() the pco_sync DAG with a full refresh, then its summary from
    the DagRun's XCom (what the Sync summary tab shows) into SUMMARY."""
    from airflow.dag_processing.dagbag import DagBag

    from pco_sync.airflow import summary_page

    dag = DagBag(dag_folder=str(ROOT / "dags")).dags["pco_sync"]
    run = dag.test(run_conf={"full_refresh": True})
    page = summary_page.load(dag.dag_id, run.run_id) or {}
    SUMMARY.write_text(json.dumps({"run_id": run.run_id, "state": str(run.state),
                                   "summary": page.get("summary")}))
    return 0 if str(run.state) == "success" else 1


def resets() -> str:
    """What this demo starts over with, in one sentence (empty when it uses only the user's)."""
    parts = []
    if not os.environ.get(devdb.ENV_AIRFLOW_CONN):
        parts.append(f"empties the database {DEMO_DATABASE}")
    if not os.environ.get("AIRFLOW_CONN_PCO_DEFAULT"):
        parts.append("serves a freshly generated PCO church")
    if not parts:
        return ""
    return ("Every `make demo` starts over: it " + " and ".join(parts) + ", so changes made "
            "there do not carry over to the next demo. `make airflow` keeps its own church "
            "database ('church'), PCO simulator data and Airflow home; the demo never touches "
            "them.")


def main() -> int:
    url, airflow_uri = church_db()
    env = {**os.environ, "AIRFLOW_CONN_CHURCH_DB": airflow_uri,
           "PCO_SYNC_AIRFLOW_HOME": str(AIRFLOW_HOME)}
    sim = None
    if os.environ.get(devdb.ENV_AIRFLOW_CONN):
        print("Church database: AIRFLOW_CONN_CHURCH_DB (used as it is, nothing reset)", flush=True)
    else:
        print(f"Church database: the embedded PostgreSQL's '{DEMO_DATABASE}', emptied for this "
              "demo", flush=True)
    if not os.environ.get("AIRFLOW_CONN_PCO_DEFAULT"):
        from pco_simulator import Simulator
        print(f"PCO: a simulator with a freshly generated church of {DEMO_PEOPLE:,} people, "
              "for this demo only ...", flush=True)
        sim = Simulator(people=DEMO_PEOPLE, seed=1).start()
        env["AIRFLOW_CONN_PCO_DEFAULT"] = json.dumps({
            "conn_type": "pco", "host": sim.url, "login": sim.auth[0], "password": sim.auth[1]})
    print("Running a full sync (dag.test() of pco_sync with full_refresh, in the Airflow home "
          f"{AIRFLOW_HOME.relative_to(ROOT) if AIRFLOW_HOME.is_relative_to(ROOT) else AIRFLOW_HOME}; "
          "about a minute) ...", flush=True)
    try:
        code = run_dag(env)
    finally:
        if sim is not None:
            sim.stop()
    result = json.loads(SUMMARY.read_text()) if SUMMARY.exists() else {}
    if code != 0 or not result.get("summary"):
        print(f"\nThe sync run failed (state {result.get('state', 'unknown')}). Its output is in "
              f"{LOG.relative_to(ROOT)}; the failed task's error says why.", file=sys.stderr)
        print("\n".join(LOG.read_text().strip().splitlines()[-25:]), file=sys.stderr)
        return code or 1
    from pco_sync import summary

    print(f"\nDAG run {result['run_id']} succeeded. What it did:\n")
    print(summary.table(result["summary"]))
    ui = f"http://localhost:{local_airflow.api_port(os.environ)}"
    print(f"""
Where to look next:
  - the whole run's output:       {LOG.relative_to(ROOT)}
  - the church data:               psql "{url}" -c 'select * from church.people limit 10'
  - quarantined records (why):     sync.quarantine    ambiguous matches: sync.match_review
  - conflicts (local vs PCO):      sync.conflicts
  - scheduled syncs in a UI:       make airflow   (then {ui}; it runs on
                                   its own data, so this demo's run is not listed there)
  - what needs a person:           the PCO Sync page in that UI's menu (conflicts, matches,
                                   quarantine, push failures: each settled with a button)
""")
    if resets():
        print(textwrap.fill(resets(), 92))
    return 0


if __name__ == "__main__":
    sys.exit(_run_dag_here() if sys.argv[1:] == ["--run-dag"] else main())
