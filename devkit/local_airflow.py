"""make airflow: a standalone Airflow (UI, scheduler, DAG processor) on the embedded defaults,
so the 15-minute schedule runs and can be watched at http://localhost:8080
(AIRFLOW__API__PORT moves the UI, the API and the tasks' execution API together).

- church database: AIRFLOW_CONN_CHURCH_DB when set, else the embedded PostgreSQL ('church'),
  stored as the connection church_db;
- PCO: AIRFLOW_CONN_PCO_DEFAULT when set, else a PCO simulator started here on
  PCO_SYNC_SIM_PORT (default 8765) with the credentials of airflow_settings.yaml's
  pco_default, stored as the connection pco_default, and as the deployment's OAuth
  application: the simulator takes the client id and secret of the yaml's pco_oauth_app,
  stored as the connection pco_oauth_app pointing at it, so "Connect with Planning Center"
  works out of the box (docs/connecting.md; the simulator accepts any callback on
  127.0.0.1/localhost, so AIRFLOW__API__PORT may be anything). Its data is kept in
  .local/pco-simulator.json across restarts (the first start generates the demo's church:
  2,000 people, seed 1), so what a run pushed to it is still there after a restart;
- connections, pools and variables from airflow_settings.yaml where missing: what was
  changed in the UI is kept (environment variables win over stored connections);
- pco_sync (and pco_sync_webhooks) unpaused, even if it was paused: this starter exists to
  watch the schedule;
- the simulator it started subscribed to the local webhook receiver
  (http://127.0.0.1:<AIRFLOW__API__PORT or 8080>/pco-sync/webhooks/default), as the
  pco_sync_webhook_subscriptions DAG subscribes a real PCO, the secrets in the Variable
  pco_sync_webhook_secrets: an edit made in the simulator is in the church database within
  seconds, no scheduled run needed;
- a console that shows what matters: Airflow's chattiest loggers (the API server's access
  log, per-task execution API lines, the scheduler's queueing) at WARNING and known
  third-party deprecation warnings filtered (quiet_console(); environment values win).

`prepare()` does everything but start processes (for tests that start their own).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from devkit import airflow_settings, devdb

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / ".local" / "airflow"
SIM_PORT = int(os.environ.get("PCO_SYNC_SIM_PORT", "8765"))
SIM_PEOPLE = os.environ.get("PCO_SYNC_DEMO_PEOPLE", "2000")
SIM_STATE = ROOT / ".local" / "pco-simulator.json"
CHURCH_DATABASE = "church"
DAG_ID = "pco_sync"
OAUTH_APP_CONN_ID = "pco_oauth_app"  # pco_sync.airflow.provider.OAUTH_APP_CONN_ID
WEBHOOKS_DAG_ID = "pco_sync_webhooks"
# prepare() hands the connections to store to its child process in this variable.
_LOCAL_CONNECTIONS = "PCO_SYNC_LOCAL_CONNECTIONS"
# subscribe_simulator() hands the simulator's and the receiver's URLs to its child in this.
_SUBSCRIBE = "PCO_SYNC_LOCAL_SUBSCRIBE"
# How long a Ctrl-C may take to stop standalone's components before it is asked again.
STOP_SECONDS = 60


# The console of `make airflow` shows what its components log. Without these, the first sync
# prints well over a thousand lines, most of them the API server's access log (every task's
# execution API calls), the execution API's per-task state lines, the scheduler's queueing
# lists and the local executor's and DAG processor's chatter: the lines that matter (our
# tasks' lines, a run's end, an error) drown. Those loggers still log warnings and errors;
# every other logger (pco_sync.*, the task logs, supervisor, DagRun) stays at INFO. Values
# set in the environment win. (Airflow applies these to its structlog loggers only: a
# stdlib logger such as the secrets masker's "too short to mask" warning, which every task
# reading a short Variable such as "1800" logs once, is out of its reach.)
QUIET_LOGGERS = " ".join([
    "http.access=WARNING",                           # one line per API request
    "airflow.api_fastapi.execution_api=WARNING",     # task started / state updated / RTIF
    "airflow.sdk.api.client=WARNING",                # "Using Public CAs from certifi"
    "airflow.executors.local_executor=WARNING",      # "Worker starting up"
    "airflow.jobs.scheduler_job_runner=WARNING",     # queueing lists, pool slot counts
    "airflow.dag_processing.bundles=WARNING",
    "airflow.dag_processing.dagbag=WARNING",         # "Filling up the DagBag" per task
    "airflow.serialization.definitions.dag=WARNING",
    "airflow.models.dag=WARNING",                    # next dagrun info (DagRun's lines stay)
])
# Third-party deprecation warnings we cannot act on (filters by the message's start; a
# warning of our own code, or any other, still shows).
QUIET_WARNINGS = [
    "ignore:GitWildMatchPattern",                    # pathspec, through Airflow's .airflowignore
    "ignore:Using `httpx` with `starlette.testclient` is deprecated",
]


def quiet_console(env: dict) -> dict:
    """`env` with the console settings above (where the environment sets none of its own)."""
    env.setdefault("AIRFLOW__LOGGING__NAMESPACE_LEVELS", QUIET_LOGGERS)
    given = [w for w in env.get("PYTHONWARNINGS", "").split(",") if w]
    env["PYTHONWARNINGS"] = ",".join(given + [w for w in QUIET_WARNINGS if w not in given])
    return env


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def simulator_credentials() -> tuple[str, str]:
    """The app id and secret of airflow_settings.yaml's pco_default: the simulator takes them,
    so the stored connection and the yaml always agree."""
    entry = next(c for c in airflow_settings.load()["connections"] if c["conn_id"] == "pco_default")
    return entry["conn_login"], entry["conn_password"]


def simulator_oauth_app() -> tuple[str, str]:
    """The client id and secret of airflow_settings.yaml's pco_oauth_app: the simulator
    registers them as its OAuth application."""
    entry = next(c for c in airflow_settings.load()["connections"]
                 if c["conn_id"] == OAUTH_APP_CONN_ID)
    return entry["conn_login"], entry["conn_password"]


def start_simulator(port: int = SIM_PORT, state: Path = SIM_STATE,
                    env: dict | None = None) -> subprocess.Popen:
    """The PCO simulator on `port`, its data kept in `state`; returns once it answers."""
    if _port_open(port):
        sys.exit(f"make airflow: port {port} is taken; stop what runs there, set "
                 "PCO_SYNC_SIM_PORT, or point AIRFLOW_CONN_PCO_DEFAULT at your PCO")
    kept = "its data from" if state.exists() else "a new church, kept in"
    print(f"Starting the PCO simulator on :{port} ({kept} {_shown(state)}) ...", flush=True)
    app_id, secret = simulator_credentials()
    client_id, client_secret = simulator_oauth_app()
    proc = subprocess.Popen([sys.executable, "-m", "pco_simulator", "serve", "--port", str(port),
                             "--people", SIM_PEOPLE, "--seed", "1", "--state", str(state),
                             "--app-id", app_id, "--secret", secret,
                             "--oauth-client-id", client_id,
                             "--oauth-client-secret", client_secret], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while not _port_open(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            sys.exit("make airflow: the PCO simulator did not start (see its output above)")
        time.sleep(0.2)
    return proc


def stop_simulator(proc: subprocess.Popen) -> None:
    """SIGTERM (it saves its data on the way out; a Ctrl-C may have reached it already)."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def local_connections(env: dict, *, church_database: str = CHURCH_DATABASE,
                      sim_port: int = SIM_PORT) -> list[dict]:
    """church_db (the embedded database), pco_default and pco_oauth_app (the simulator on
    `sim_port`, as PCO and as the OAuth application) as settings entries, except the ids an
    AIRFLOW_CONN_* variable in `env` sets (a real PCO in AIRFLOW_CONN_PCO_DEFAULT: no
    simulator runs, and the OAuth application is the yaml's or the environment's)."""
    entries = []
    if not env.get(devdb.ENV_AIRFLOW_CONN):
        url = devdb.ensure_database(devdb.embedded_url(), church_database)
        entries.append({"conn_id": "church_db", "conn_uri": devdb.airflow_conn_uri(url)})
    if not env.get("AIRFLOW_CONN_PCO_DEFAULT"):
        yaml_entry = next(c for c in airflow_settings.load()["connections"]
                          if c["conn_id"] == "pco_default")
        entries.append({**yaml_entry, "conn_host": f"http://127.0.0.1:{sim_port}"})
        if not env.get("AIRFLOW_CONN_" + OAUTH_APP_CONN_ID.upper()):
            app_entry = next(c for c in airflow_settings.load()["connections"]
                             if c["conn_id"] == OAUTH_APP_CONN_ID)
            entries.append({**app_entry, "conn_host": f"http://127.0.0.1:{sim_port}"})
    return entries


def prepare(home: str | Path | None = None, *, env: dict | None = None,
            church_database: str = CHURCH_DATABASE, sim_port: int = SIM_PORT) -> dict:
    """Get an Airflow home ready for `make airflow` without starting anything: the metadata
    DB migrated; church_db (the embedded `church_database`) and pco_default (the simulator on
    `sim_port`) stored where missing and not set by `env`; airflow_settings.yaml's other
    settings where missing; pco_sync unpaused. Returns the environment to start Airflow with
    (bin/airflow ...: its home, and new DAGs unpaused)."""
    env = dict(os.environ if env is None else env)
    home = Path(home or env.get("PCO_SYNC_AIRFLOW_HOME") or HOME)
    env["PCO_SYNC_AIRFLOW_HOME"] = str(home)
    # Should the DAG not be in the metadata DB yet, it is created unpaused.
    env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] = "False"
    quiet_console(env)
    # Tasks report to the API server's execution API: where it listens (Airflow derives it
    # from [api] base_url, which stays at :8080 when only the port is moved).
    env.setdefault("AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
                   f"http://127.0.0.1:{api_port(env)}/execution/")
    # The Test button of Admin > Connections (off in Airflow by default).
    env.setdefault("AIRFLOW__CORE__TEST_CONNECTION", "Enabled")
    # bin/airflow migrates the metadata DB the first time.
    subprocess.run([str(ROOT / "bin" / "airflow"), "version"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    local = local_connections(env, church_database=church_database, sim_port=sim_port)
    print("Airflow settings (missing ones are created, existing ones kept):", flush=True)
    # The ORM in a child: Airflow reads AIRFLOW_HOME once, at import.
    subprocess.run([sys.executable, "-m", "devkit.local_airflow", "--prepare-here"], cwd=ROOT,
                   env={**env, "AIRFLOW_HOME": str(home), _LOCAL_CONNECTIONS: json.dumps(local)},
                   check=True)
    return env


def _prepare_here() -> int:
    """In the child of prepare(): the settings (the local connections before the yaml's
    entries of the same id, so a fresh home stores the embedded URI), then the unpause."""
    local = json.loads(os.environ[_LOCAL_CONNECTIONS])
    settings = airflow_settings.load()
    ids = {c["conn_id"] for c in local}
    if os.environ.get("AIRFLOW_CONN_PCO_DEFAULT"):
        ids.add(OAUTH_APP_CONN_ID)  # a real PCO: not the simulator's OAuth application
    settings["connections"] = local + [c for c in settings["connections"] if c["conn_id"] not in ids]
    for line in airflow_settings.apply_settings(settings):
        print("  " + line, flush=True)
    print("  " + unpause(DAG_ID), flush=True)
    print("  " + unpause(WEBHOOKS_DAG_ID, "it merges what PCO's webhooks deliver"), flush=True)
    return 0


def api_port(env: dict) -> int:
    """The API server's (and UI's) port: AIRFLOW__API__PORT, else Airflow's 8080."""
    return int(env.get("AIRFLOW__API__PORT") or 8080)


def receiver_url(env: dict) -> str:
    """The local webhook receiver of the default church, on the API server's port."""
    return f"http://127.0.0.1:{api_port(env)}/pco-sync/webhooks/default"


def subscribe_simulator(env: dict, sim_url: str) -> None:
    """Subscribe the simulator at `sim_url` to the local receiver (env as prepare() returned
    it), in a child process: the ORM reads AIRFLOW_HOME once."""
    subprocess.run([sys.executable, "-m", "devkit.local_airflow", "--subscribe-here"], cwd=ROOT,
                   env={**env, "AIRFLOW_HOME": env["PCO_SYNC_AIRFLOW_HOME"],
                        _SUBSCRIBE: json.dumps({"sim": sim_url, "url": receiver_url(env)})},
                   check=True)


def _subscribe_here() -> int:
    """In the child of subscribe_simulator(): what the subscriptions DAG's task does (the
    events of the resources the church syncs, each subscription's secret in the Variable),
    and the receiver's URL stored where missing, so that DAG's daily run finds it too."""
    from airflow.models import Variable

    from pco_sync import churches
    from pco_sync.pco import resources
    from pco_sync.pco.client import PcoClient
    from pco_sync.webhooks import events, settings, subscriptions

    urls = json.loads(os.environ[_SUBSCRIBE])
    church = churches.DEFAULT
    chosen = Variable.get("pco_sync_resources", default_var=None)
    synced = resources.names(chosen, "pco_sync_resources") if chosen else list(resources.RESOURCES)
    client = PcoClient(urls["sim"], *simulator_credentials(), max_retries=2)
    done = subscriptions.ensure(client, urls["url"], events.names_for(synced))
    Variable.set(settings.secrets_variable(church), settings.dump_secrets(done.secrets),
                 description="PCO webhook subscription secrets by event name (make airflow)")
    if Variable.get(settings.url_variable(church), default_var=None) is None:
        Variable.set(settings.url_variable(church), urls["url"],
                     description="The public URL PCO posts webhook deliveries to")
    print(f"  webhooks: the simulator posts to {urls['url']} ({len(done.created)} subscriptions "
          f"created, {len(done.kept) + len(done.reactivated)} kept)", flush=True)
    return 0


def unpause(dag_id: str, does: str = "make airflow runs it every 15 minutes") -> str:
    from airflow.models import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        dag = session.query(DagModel).filter(DagModel.dag_id == dag_id).one_or_none()
        if dag is None:
            return f"{dag_id}: not parsed yet; it will start unpaused"
        if dag.is_paused:
            dag.is_paused = False
            return f"{dag_id}: unpaused (it was paused; {does}, pause it in the UI to stop that)"
        return f"{dag_id}: unpaused"


def main() -> int:
    env = dict(os.environ)
    sim = None
    if not env.get("AIRFLOW_CONN_PCO_DEFAULT"):
        sim = start_simulator(SIM_PORT, SIM_STATE, env)
    try:
        env = prepare(env=env)
        if sim is not None:
            subscribe_simulator(env, f"http://127.0.0.1:{SIM_PORT}")
        home = env["PCO_SYNC_AIRFLOW_HOME"]
        print(f"Airflow standalone: UI on http://localhost:{api_port(env)} (user admin; password in "
              f"{home}/simple_auth_manager_passwords.json.generated). Ctrl-C stops it.",
              flush=True)
        standalone = subprocess.Popen([str(ROOT / "bin" / "airflow"), "standalone"], env=env)
        # `kill` of this process stops Airflow's components too, not just this launcher.
        signal.signal(signal.SIGTERM, lambda *_: standalone.send_signal(signal.SIGTERM))
        try:
            return standalone.wait()
        except KeyboardInterrupt:
            # A Ctrl-C reached standalone too (same process group): it is stopping its
            # components. A second SIGINT would interrupt that (a traceback, components
            # left); send it only when this process alone was interrupted (kill -INT).
            try:
                return standalone.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                standalone.send_signal(signal.SIGINT)
                return standalone.wait()
    finally:
        if sim is not None:
            stop_simulator(sim)


if __name__ == "__main__":
    HERE = {"--prepare-here": _prepare_here, "--subscribe-here": _subscribe_here}
    sys.exit(HERE[sys.argv[1]]() if sys.argv[1:2] and sys.argv[1] in HERE else main())
