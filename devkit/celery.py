"""make celery: Airflow with the CeleryExecutor on a real broker and a PostgreSQL metadata
database, every component a process of its own: the API server (UI on :8080), the
scheduler, the DAG processor and two Celery workers, on the machine's Redis and PostgreSQL.

Where the broker and the metadata database are (checked before anything starts; what is
missing is named, with how to get it):

  PCO_SYNC_CELERY_BROKER       the Celery broker (default redis://127.0.0.1:6379/0)
  PCO_SYNC_CELERY_METADATA_DB  Airflow's metadata database, created when missing
                               (default postgresql://postgres@127.0.0.1:5432/airflow_celery)
  PCO_SYNC_CELERY_HOME         its Airflow home (default .local/airflow-celery)
  PCO_SYNC_CELERY_WORKERS      how many Celery workers (default 2)
  PCO_SYNC_CELERY_CONCURRENCY  task slots per worker (default 4)
  PCO_SYNC_CELERY_LOG_PORT     the first worker's log server port; the next ones count up
                               (default 8793)
  AIRFLOW__API__PORT           the API server's port (default 8080)

The church database and PCO are `make airflow`'s (devkit.local_airflow.prepare): the
embedded PostgreSQL's database `church` and a PCO simulator on PCO_SYNC_SIM_PORT keeping its
data in .local/pco-simulator.json, unless AIRFLOW_CONN_CHURCH_DB / AIRFLOW_CONN_PCO_DEFAULT
are set. With a churches file (churches.yaml, PCO_SYNC_CHURCHES_FILE), each church whose
connections are not set by AIRFLOW_CONN_<ID> gets a simulator of its own (the ports after
PCO_SYNC_SIM_PORT, data in .local/pco-simulator-<slug>.json) and a database
`church_<slug>` in the embedded PostgreSQL; its pool is created with one slot.

The Celery settings are also written into the home's airflow.cfg, so
`PCO_SYNC_AIRFLOW_HOME=.local/airflow-celery bin/airflow dags trigger pco_sync` talks to
this deployment. Ctrl-C or SIGTERM stops every component (each process group: a component's
own children too) and the simulators.
"""
from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from devkit import devdb, local_airflow

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / ".local" / "airflow-celery"
ENV_BROKER = "PCO_SYNC_CELERY_BROKER"
ENV_METADATA = "PCO_SYNC_CELERY_METADATA_DB"
ENV_HOME = "PCO_SYNC_CELERY_HOME"
ENV_WORKERS = "PCO_SYNC_CELERY_WORKERS"
ENV_CONCURRENCY = "PCO_SYNC_CELERY_CONCURRENCY"
ENV_LOG_PORT = "PCO_SYNC_CELERY_LOG_PORT"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_METADATA = "postgresql://postgres@127.0.0.1:5432/airflow_celery"
# The components the deployment cannot go on without; a worker that exits is reported and
# the others go on (a worker killed on purpose is how the retry on the other one is seen).
ESSENTIAL = ("api-server", "scheduler", "dag-processor")
# Where the home records which metadata database bin/airflow's stamp (.db_migrated) is for.
_MIGRATED_FOR = ".celery_metadata"


# The workers' Celery configuration (pco_sync.airflow.celery_config).
CELERY_CONFIG = "pco_sync.airflow.celery_config.CELERY_CONFIG"


class Missing(SystemExit):
    """What the deployment needs and does not have; the message says how to get it."""


@dataclass
class Settings:
    home: Path = HOME
    broker: str = DEFAULT_BROKER
    metadata: str = DEFAULT_METADATA
    api_port: int = 8080
    workers: int = 2
    concurrency: int = 4
    log_port: int = 8793
    queue: str = "default"
    # Extra Airflow settings (AIRFLOW__...): the tests' quick heartbeat timeouts.
    extra_env: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = os.environ if env is None else env
        return cls(home=Path(env.get(ENV_HOME) or HOME),
                   broker=env.get(ENV_BROKER) or DEFAULT_BROKER,
                   metadata=env.get(ENV_METADATA) or DEFAULT_METADATA,
                   api_port=int(env.get("AIRFLOW__API__PORT") or 8080),
                   workers=int(env.get(ENV_WORKERS) or 2),
                   concurrency=int(env.get(ENV_CONCURRENCY) or 4),
                   log_port=int(env.get(ENV_LOG_PORT) or 8793))

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def airflow_env(self) -> dict[str, str]:
        """The Airflow settings every component (and bin/airflow) runs with."""
        sql = _sqlalchemy_url(self.metadata)
        return {
            "PCO_SYNC_AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sql,
            "AIRFLOW__CELERY__BROKER_URL": self.broker,
            # Task states in the metadata database: no second store to run.
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + sql,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.concurrency),
            # Workers import pco_sync and Great Expectations once, not in every task.
            "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": CELERY_CONFIG,
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
            "AIRFLOW__API__PORT": str(self.api_port),
            # Workers run tasks through the API server's execution API.
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            **self.extra_env,
        }


def _sqlalchemy_url(url: str) -> str:
    """A postgresql:// URL as SQLAlchemy's psycopg2 driver URL (what Airflow's docs use)."""
    parts = urlsplit(devdb.normalize_url(url))
    return urlunsplit(("postgresql+psycopg2", *parts[1:]))


def shown(url: str) -> str:
    """A URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, *parts[2:]))


def _where(url: str, default_port: int) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or default_port}"


def check_broker(url: str) -> str | None:
    """None when the broker answers; else what is missing and how to get it."""
    from kombu import Connection

    where = _where(url, 6379 if url.startswith("redis") else 5672)
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
        return None
    except Exception as exc:  # noqa: BLE001 - every failure is "not reachable", said with its cause
        cause = _first_line(exc)
        if url.startswith("redis"):
            return (f"Redis not reachable at {where} ({cause}): install redis-server "
                    f"(apt-get install redis-server) and start it, or set {ENV_BROKER} to "
                    "the broker's URL (redis://[:password@]host:port/db)")
        return (f"the Celery broker {shown(url)} is not reachable at {where} ({cause}): "
                f"start it, or set {ENV_BROKER}")


def check_metadata(url: str) -> str | None:
    """None when the metadata database's server answers (the database itself is created if
    missing); else what is missing and how to get it."""
    import psycopg

    where = _where(url, 5432)
    try:
        with psycopg.connect(devdb.with_database(url, "postgres"), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return (f"PostgreSQL not reachable at {where} ({_first_line(exc)}): install postgresql "
                f"(apt-get install postgresql) and start it, or set {ENV_METADATA} to "
                "postgresql://user:password@host:port/database (the database is created "
                "when missing)")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def require(settings: Settings) -> None:
    """Exit, naming everything that is missing, unless the broker and PostgreSQL answer."""
    missing = [m for m in (check_broker(settings.broker), check_metadata(settings.metadata)) if m]
    if missing:
        raise Missing("make celery cannot start:\n" + "\n".join(f"  - {m}" for m in missing))


def ensure_metadata_database(settings: Settings) -> None:
    name = urlsplit(settings.metadata).path.lstrip("/") or "airflow_celery"
    try:
        devdb.ensure_database(devdb.with_database(settings.metadata, "postgres"), name)
    except Exception as exc:  # noqa: BLE001 - said with its cause
        raise Missing(f"make celery cannot create the metadata database {name!r} on "
                      f"{_where(settings.metadata, 5432)} ({_first_line(exc)}): create it, or "
                      f"set {ENV_METADATA} to a database the user may use") from None


def _forget_other_metadata(settings: Settings) -> None:
    """bin/airflow migrates a home once (its stamp .db_migrated); a home pointed at another
    metadata database, or at one that was dropped and created again, is migrated again."""
    import psycopg

    settings.home.mkdir(parents=True, exist_ok=True)
    record = settings.home / _MIGRATED_FOR
    target = shown(settings.metadata)
    with psycopg.connect(devdb.normalize_url(settings.metadata), connect_timeout=5) as conn:
        migrated = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()[0]
    if not migrated or not record.exists() or record.read_text() != target:
        (settings.home / ".db_migrated").unlink(missing_ok=True)
        record.write_text(target)


# ---- the churches of a churches file -----------------------------------------------------
def church_list(env: dict) -> list:
    """The churches of this deployment (churches.yaml, PCO_SYNC_CHURCHES_FILE); [DEFAULT]
    without a file. Read in a child: the file names PCO_SYNC_CHURCHES_FILE of `env`."""
    code = ("import json, dataclasses; from pco_sync import churches; "
            "print(json.dumps([{**dataclasses.asdict(c), 'dag_id': c.dag_id, 'pool': c.pool} "
            "for c in churches.load(strict=True)]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_python_env(env),
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise Missing(f"make celery: the churches file cannot be used:\n{out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout)


def _python_env(env: dict) -> dict:
    paths = [str(ROOT), str(ROOT / "plugins"), env.get("PYTHONPATH", "")]
    return {**env, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def local_church_connections(churches: list[dict], env: dict, *, sim_ports: dict[str, int],
                             databases: dict[str, str]) -> list[dict]:
    """Each church's PCO connection (its simulator) and church database connection (its
    embedded database), unless an AIRFLOW_CONN_<ID> variable sets them."""
    from devkit import airflow_settings

    yaml_pco = next(c for c in airflow_settings.load()["connections"] if c["conn_id"] == "pco_default")
    conns = []
    for church in churches:
        if church["slug"] == "default":
            continue
        if church["slug"] in sim_ports and not env.get(f"AIRFLOW_CONN_{church['pco_conn_id'].upper()}"):
            conns.append({**yaml_pco, "conn_id": church["pco_conn_id"],
                          "conn_host": f"http://127.0.0.1:{sim_ports[church['slug']]}"})
        if church["slug"] in databases:
            conns.append({"conn_id": church["church_db_conn_id"],
                          "conn_uri": devdb.airflow_conn_uri(databases[church["slug"]])})
    return conns


def store_church_connections(env: dict, connections: list[dict]) -> None:
    """These church connections stored where missing (devkit.church_settings, in a child:
    Airflow reads its home at import). The churches' pools and the report of what each one
    lacks are airflow_settings.yaml's apply's, in local_airflow.prepare()."""
    from devkit import church_settings

    if connections:
        subprocess.run([sys.executable, "-m", "devkit.church_settings", "connections"], cwd=ROOT,
                       env={**_python_env(env), "AIRFLOW_HOME": env["PCO_SYNC_AIRFLOW_HOME"],
                            church_settings.ENV_CONNECTIONS: json.dumps(connections)}, check=True)


# ---- the home's airflow.cfg ------------------------------------------------------------
def write_config(home: Path, env: dict) -> None:
    """The AIRFLOW__SECTION__KEY settings of `env` written into home/airflow.cfg (which
    Airflow generated), so bin/airflow with this home reaches this deployment. Only the
    `key = value` lines change; comments stay."""
    cfg = home / "airflow.cfg"
    wanted: dict[str, dict[str, str]] = {}
    for name, value in env.items():
        m = re.fullmatch(r"AIRFLOW__([A-Z0-9_]+?)__([A-Z0-9_]+)", name)
        if m:
            wanted.setdefault(m[1].lower(), {})[m[2].lower()] = value
    lines = cfg.read_text().splitlines() if cfg.exists() else []
    out, section, done = [], None, set()

    def rest(sec):
        return [f"{k} = {v}" for k, v in wanted.get(sec, {}).items() if (sec, k) not in done]

    for line in lines:
        head = re.fullmatch(r"\[([^\]]+)\]\s*", line)
        if head:
            if section is not None:
                out[len(out):] = rest(section)
                done.update((section, k) for k in wanted.get(section, {}))
            section = head[1]
        else:
            m = re.fullmatch(r"([a-z0-9_]+)\s*=.*", line)
            if m and section in wanted and m[1] in wanted[section]:
                line = f"{m[1]} = {wanted[section][m[1]]}"
                done.add((section, m[1]))
        out.append(line)
    if section is not None:
        out[len(out):] = rest(section)
        done.update((section, k) for k in wanted.get(section, {}))
    for sec in wanted:
        if any((sec, k) not in done for k in wanted[sec]):
            out += ["", f"[{sec}]", *rest(sec)]
    cfg.write_text("\n".join(out) + "\n")
    cfg.chmod(0o600)  # it holds the metadata DB's password, the Fernet key and JWT secret


# ---- preparing ---------------------------------------------------------------------------
@dataclass
class Prepared:
    env: dict
    churches: list[dict]
    simulators: list = field(default_factory=list)


def prepare(settings: Settings, base_env: dict | None = None, *,
            church_database: str = local_airflow.CHURCH_DATABASE,
            sim_port: int = local_airflow.SIM_PORT, start_simulators: bool = True) -> Prepared:
    """Everything but the Airflow processes: the broker and PostgreSQL checked, the metadata
    database created and migrated, `make airflow`'s connections and settings (and the
    churches' of a churches file), the Celery settings in the home's airflow.cfg. Starts the
    churches' simulators unless told not to (a test brings its own PCO)."""
    require(settings)
    ensure_metadata_database(settings)
    _forget_other_metadata(settings)
    env = {**(os.environ if base_env is None else base_env), **settings.airflow_env()}
    churches = church_list(env)
    prepared = Prepared(env, churches)
    try:
        named = [c for c in churches if c["slug"] != "default"]
        if start_simulators and not named and not env.get("AIRFLOW_CONN_PCO_DEFAULT"):
            prepared.simulators.append(local_airflow.start_simulator(sim_port, env=env))
        sim_ports, databases = {}, {}
        for i, church in enumerate(named, 1):
            if start_simulators and not env.get(f"AIRFLOW_CONN_{church['pco_conn_id'].upper()}"):
                sim_ports[church["slug"]] = sim_port + i
                state = ROOT / ".local" / f"pco-simulator-{church['slug']}.json"
                prepared.simulators.append(
                    local_airflow.start_simulator(sim_port + i, state, env=env))
            if not env.get(f"AIRFLOW_CONN_{church['church_db_conn_id'].upper()}"):
                databases[church["slug"]] = devdb.ensure_database(
                    devdb.embedded_url(), f"church_{church['slug']}")
        # The metadata DB migrated first (bin/airflow does it once), so the churches' local
        # connections are stored before airflow_settings apply reports what each one lacks.
        subprocess.run([str(ROOT / "bin" / "airflow"), "version"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        store_church_connections(env, local_church_connections(
            churches, env, sim_ports=sim_ports, databases=databases))
        env = local_airflow.prepare(settings.home, env=env, church_database=church_database,
                                    sim_port=sim_port)
        if not named and prepared.simulators:
            # As make airflow does: the simulator posts its changes to the local receiver.
            local_airflow.subscribe_simulator(env, f"http://127.0.0.1:{sim_port}")
        write_config(settings.home, settings.airflow_env())
        prepared.env = env
        return prepared
    except BaseException:
        for sim in prepared.simulators:
            local_airflow.stop_simulator(sim)
        raise


# ---- the processes -----------------------------------------------------------------------
def _die_with_parent() -> None:
    """In a child: SIGTERM when the launcher dies, even by SIGKILL (Linux prctl)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Deployment:
    """The Airflow processes of one Celery deployment, each in a process group of its own,
    with its output in <home>/logs/<name>.log."""

    def __init__(self, settings: Settings, env: dict):
        self.settings, self.env = settings, env
        self.procs: dict[str, subprocess.Popen] = {}
        self.logdir = settings.home / "logs"

    def worker_names(self) -> list[str]:
        return [f"worker-{i}" for i in range(1, self.settings.workers + 1)]

    def log(self, name: str) -> Path:
        return self.logdir / f"{name}.log"

    def _start(self, name: str, *args: str, env: dict | None = None) -> subprocess.Popen:
        self.logdir.mkdir(parents=True, exist_ok=True)
        with open(self.log(name), "ab") as out:
            proc = subprocess.Popen([str(ROOT / "bin" / "airflow"), *args], cwd=ROOT,
                                    env=env or self.env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    preexec_fn=_die_with_parent)
        self.procs[name] = proc
        return proc

    def start(self, timeout: float = 180) -> None:
        """The API server first (the workers run tasks through it), then the scheduler, the
        DAG processor and the workers; returns once the API server answers and every worker
        said it is ready."""
        try:
            self._start("api-server", "api-server", "--port", str(self.settings.api_port))
            self.wait_for_api(timeout)
            self._start("scheduler", "scheduler")
            self._start("dag-processor", "dag-processor")
            for name in self.worker_names():
                self.start_worker(name)
            for name in self.worker_names():
                self.wait_for_worker(name, timeout)
        except BaseException:
            self.stop()
            raise

    def start_worker(self, name: str) -> subprocess.Popen:
        """A Celery worker with a hostname and a log server port of its own (the workers share
        a machine)."""
        i = int(name.rsplit("-", 1)[1])
        env = {**self.env, "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT":
               str(self.settings.log_port + i - 1)}
        self.log(name).unlink(missing_ok=True)  # its "ready" line is looked for anew
        return self._start(name, "celery", "worker", "--celery-hostname",
                           f"{name}-{self.settings.queue}@%h", "--queues", self.settings.queue,
                           "--concurrency", str(self.settings.concurrency), env=env)

    def wait_for_api(self, timeout: float = 180) -> None:
        import requests

        url = f"{self.settings.api_url}/api/v2/monitor/health"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._still_running("api-server")
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise RuntimeError(f"the API server did not answer {url} in {timeout:.0f} s "
                           f"(log: {self.log('api-server')})")

    def wait_for_worker(self, name: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._still_running(name)
            if self.log(name).exists() and " ready." in self.log(name).read_text(errors="replace"):
                return
            time.sleep(1)
        raise RuntimeError(f"{name} did not say it is ready in {timeout:.0f} s "
                           f"(log: {self.log(name)})")

    def _still_running(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is not None:
            tail = self.log(name).read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def exited(self) -> dict[str, int]:
        return {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}

    def tree(self, *names: str) -> set[int]:
        """The pids of these components (default: all) and of every process under them.
        A worker's task processes start sessions of their own (Airflow's supervisor), so a
        component's process group alone misses them."""
        roots = {p.pid for n, p in self.procs.items() if (not names or n in names)
                 and p.poll() is None}
        children: dict[int, list[int]] = {}
        for pid, (ppid, _pgid, _state) in _processes().items():
            children.setdefault(ppid, []).append(pid)
        found, todo = set(), list(roots)
        while todo:
            pid = todo.pop()
            if pid not in found:
                found.add(pid)
                todo += children.get(pid, [])
        return found

    def owner(self, pid: int) -> str | None:
        """The component `pid` runs under (walking up its parents), if any."""
        leaders = {p.pid: n for n, p in self.procs.items()}
        procs = _processes()
        while pid in procs and pid not in leaders:
            pid = procs[pid][0]
        return leaders.get(pid)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> set[int]:
        """Signal a component, its process group and every process under it (what a
        machine's death does to a worker: its running tasks die with it). Returns the pids
        signalled."""
        pids = self.tree(name)
        _signal(pids, sig)
        return pids

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM every component with everything under it, wait, then SIGKILL what is
        left: no API server, scheduler or task process outlives the deployment."""
        pids = self.tree()
        _signal(pids, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        while alive(pids) and time.monotonic() < deadline:
            time.sleep(0.5)
        _signal(pids | self.tree(), signal.SIGKILL)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


def _processes() -> dict[int, tuple[int, int, str]]:
    """Every process of the machine: pid -> (parent pid, process group, state)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[int(entry.name)] = (int(fields[1]), int(fields[2]), fields[0])
    return out


def alive(pids: set[int]) -> list[int]:
    """Those of `pids` still running (zombies waiting for their parent count as gone)."""
    procs = _processes()
    return sorted(p for p in pids if p in procs and procs[p][2] != "Z")


def _signal(pids: set[int], sig: int) -> None:
    """`sig` to each process and to its process group (the groups are the components' own
    and their task processes' sessions)."""
    procs = _processes()
    for group in {procs[p][1] for p in pids if p in procs}:
        if group > 1 and group != os.getpgrp():  # never the launcher's own group
            try:
                os.killpg(group, sig)
            except (ProcessLookupError, PermissionError):
                pass
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


# ---- make celery -------------------------------------------------------------------------
def main() -> int:
    settings = Settings.from_env()
    try:
        prepared = prepare(settings)
    except Missing as exc:
        print(exc, file=sys.stderr)
        return 1
    deployment = Deployment(settings, prepared.env)
    stopping = []

    def stop_on(signum, _frame):
        if not stopping:
            stopping.append(signum)
            raise KeyboardInterrupt

    # Ctrl-C too, even when started with SIGINT ignored (from a script, in the background):
    # a launcher that cannot be stopped would leave every component running.
    signal.signal(signal.SIGINT, stop_on)
    signal.signal(signal.SIGTERM, stop_on)
    signal.signal(signal.SIGHUP, stop_on)
    try:
        print(f"Starting Airflow with the CeleryExecutor: broker {shown(settings.broker)}, "
              f"metadata {shown(settings.metadata)}; logs in {_shown(deployment.logdir)}/ ...",
              flush=True)
        deployment.start()
        dags = [c["dag_id"] for c in prepared.churches]
        home = _shown(settings.home)
        print(f"Ready: UI on {settings.api_url} (user admin; password in "
              f"{home}/simple_auth_manager_passwords.json.generated); scheduler, DAG "
              f"processor and {settings.workers} Celery workers "
              f"({', '.join(deployment.worker_names())}) running. DAGs: {', '.join(dags)}.\n"
              f"Trigger a run: PCO_SYNC_AIRFLOW_HOME={home} bin/airflow dags trigger "
              f"{dags[0]}\nCtrl-C stops everything.", flush=True)
        reported = set()
        while True:
            for name, code in deployment.exited().items():
                if name in reported:
                    continue
                reported.add(name)
                if name in ESSENTIAL:
                    print(f"make celery: {name} exited with {code} (log: "
                          f"{_shown(deployment.log(name))}); stopping everything", flush=True)
                    return 1
                print(f"make celery: {name} exited with {code} (log: "
                      f"{_shown(deployment.log(name))}); the other workers go on", flush=True)
            time.sleep(2)
    except KeyboardInterrupt:
        print("make celery: stopping ...", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"make celery: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the stop
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stopped = deployment.tree()
        deployment.stop()
        for sim in prepared.simulators:
            local_airflow.stop_simulator(sim)
        left = alive(stopped)
        print("make celery: stopped" + (f"; still running: {left}" if left else ""), flush=True)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


if __name__ == "__main__":
    sys.exit(main())
