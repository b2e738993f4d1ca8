"""Many churches on the Celery deployment (issue 12): 20 churches of a churches.yaml (one DAG
each, pco_sync__<slug>), each with a PCO simulator of its own (its own process) and its own
database on the machine's PostgreSQL, run by `make celery`'s deployment (devkit.celery: API
server, scheduler, DAG processor, 2 Celery workers) on the machine's Redis.

What is measured: incremental 15-minute runs. Each church's runs follow its own timetable
(the DAG's staggered cron: its minute offset within the quarter hour): this module plays
the timetable, so the measured quarter hour starts when the deployment is up rather than at
the next :00, :15, :30 or :45. At each run's due time (its interval's end, offset included)
it creates the run exactly as the scheduler does (a scheduled run over that data interval,
created queued through the serialized DAG); the scheduler (creating no runs of its own)
then queues, runs and retries the tasks on the two workers as it would. Before the due
times, staff edit two people of each church in PCO, so each run has something to read and
merge. Before that each church has its first sync (whole PCO), done with the task bodies in
one process (not measured: Great Expectations is imported once, not in 100 processes).

Not time-scaled by default, unlike the other benchmarks: they scale PCO's rate-limit
windows, which is what bounds them, but here the bound is the CPU every task costs (a
process, its DAG parsed, Airflow's execution API, the scheduler's work), which no clock
scale shrinks. A 15-minute interval squeezed into INTERVAL seconds would load
the two workers 900 / INTERVAL times as hard as real time. So one real quarter hour (about
20 minutes with the set-up); PCO_SYNC_BENCH_CHURCH_INTERVAL shortens it for a quick look,
with the simulators' rate-limit windows scaled alike (then use fewer churches,
PCO_SYNC_BENCH_CHURCHES, to keep the load per second that of 20 in real time).

Figures:
- churches.latest_finish_seconds: the latest run's finish after its due time, against the
  interval (target <= 1.0: every run finished before its church's next run was due).
- churches.busiest_minute_starts: the most runs that started within one (scaled) minute,
  against the number of churches (all at once, as without staggering); target <= 0.25.
  The span from the first to the last start of an interval is printed beside it.
- churches.cpu_seconds_per_run: CPU the whole deployment (workers with their task
  processes, scheduler, DAG processor, API server) spent per run, against what one run may
  cost for all churches to fit in real time: cores x 900 s / churches (target <= 1.0).
- churches.parse_seconds_1000: one parse of the slowest sync DAG file (dags/pco_sync.py and
  its shards) with a churches file of 1,000 churches, each file in a fresh process as the
  DAG processor parses it, against Airflow's default dagbag_import_timeout of 30 s (target
  <= 0.2). Measured first, without the deployment.

docs/deploying.md turns these into workers per 100 and per 1,000 churches. Environment:
PCO_SYNC_BENCH_CHURCHES (20), PCO_SYNC_BENCH_CHURCH_PEOPLE (200),
PCO_SYNC_BENCH_CHURCH_INTERVAL (seconds a 15-minute interval lasts, 900),
PCO_SYNC_BENCH_CHURCH_INTERVALS (1), and devkit.celery's PCO_SYNC_CELERY_BROKER /
PCO_SYNC_CELERY_METADATA_DB for the Redis and PostgreSQL used.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from bench import church
from devkit import celery, devdb

CHURCHES = int(os.environ.get("PCO_SYNC_BENCH_CHURCHES", "20"))
PEOPLE = int(os.environ.get("PCO_SYNC_BENCH_CHURCH_PEOPLE", "200"))
INTERVAL = float(os.environ.get("PCO_SYNC_BENCH_CHURCH_INTERVAL", "900"))
INTERVALS = int(os.environ.get("PCO_SYNC_BENCH_CHURCH_INTERVALS", "1"))
EDITS = 2  # people edited in each church's PCO per interval
REAL_INTERVAL = 900.0
HOME = church.ROOT / ".local" / "airflow-bench-churches"
REDIS_DB = 14  # make celery uses 0, its test 13
QUEUE = "bench_churches"


def slugs(n: int = CHURCHES) -> list[str]:
    return [f"church{i:02d}" for i in range(1, n + 1)]


def _consecutive_free_ports() -> int:
    import socket

    for _ in range(50):
        port = church.free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue
    raise RuntimeError("no two consecutive free ports")


def deployment_settings() -> celery.Settings:
    base = celery.Settings.from_env()
    broker = urlsplit(base.broker)
    meta = urlsplit(base.metadata)
    return celery.Settings(
        home=HOME, broker=urlunsplit((broker.scheme, broker.netloc, f"/{REDIS_DB}", "", "")),
        metadata=urlunsplit((meta.scheme, meta.netloc, "/pco_sync_bench_churches_meta",
                             meta.query, "")),
        api_port=church.free_port(), log_port=_consecutive_free_ports(), workers=2, concurrency=4,
        queue=QUEUE,
        extra_env={"AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False"})  # this module schedules


def _recreate(server: str, name: str) -> str:
    with psycopg.connect(server, autocommit=True) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    return devdb.ensure_database(server, name)


PARSE_CHURCHES = 1000
IMPORT_TIMEOUT = 30.0  # Airflow's default [core] dagbag_import_timeout
PARSE = """
import sys, time
from airflow.dag_processing.dagbag import DagBag
import pco_sync.airflow.sync_dag
began = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
print(time.perf_counter() - began, len(bag.dags), len(bag.import_errors))
"""


def parse_figure(n: int = PARSE_CHURCHES) -> dict[str, dict]:
    """churches.parse_seconds_1000: the slowest sync DAG file's parse with `n` churches."""
    workdir = Path(tempfile.mkdtemp(prefix="pco-sync-bench-parse-"))
    file = workdir / "churches.yaml"
    file.write_text("churches:\n" + "".join(f"  - slug: church_{i:04d}\n" for i in range(n)))
    env = {**church.env(), "PCO_SYNC_CHURCHES_FILE": str(file),
           "AIRFLOW_HOME": str(workdir / "airflow")}
    dags = church.ROOT / "dags"
    times, built = {}, 0
    for path in [dags / "pco_sync.py", *sorted(dags.glob("pco_sync_shard_*.py"))]:
        out = subprocess.run([sys.executable, "-c", PARSE, str(path)], env=env, cwd=church.ROOT,
                             capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            raise RuntimeError(f"churches: parsing {path.name} failed: {out.stderr[-2000:]}")
        seconds, count, errors = out.stdout.split()[-3:]
        if int(errors):
            raise RuntimeError(f"churches: {path.name} has import errors with {n} churches")
        times[path.name], built = float(seconds), built + int(count)
    slowest = max(times, key=times.get)
    print(f"churches: {n} churches over {len(times)} sync DAG files ({built} DAGs): slowest "
          f"parse {times[slowest]:.2f} s ({slowest}), all {sum(times.values()):.1f} s",
          flush=True)
    return {f"churches.parse_seconds_{n}": {"value": round(times[slowest], 2),
                                             "bound": IMPORT_TIMEOUT, "target": 0.2,
                                             "unit": "s"}}


def run() -> dict[str, dict]:
    parsed = parse_figure()
    return {**parsed, **deployment_figures()}


def deployment_figures() -> dict[str, dict]:
    cfg = deployment_settings()
    missing = [m for m in (celery.check_broker(cfg.broker), celery.check_metadata(cfg.metadata)) if m]
    if missing:
        raise RuntimeError("churches: " + "; ".join(missing))
    server = devdb.with_database(cfg.metadata, "postgres")
    _recreate(server, "pco_sync_bench_churches_meta")
    scale = INTERVAL / REAL_INTERVAL
    names = slugs()
    workdir = Path(tempfile.mkdtemp(prefix="pco-sync-bench-churches-"))
    churches_file = workdir / "churches.yaml"
    churches_file.write_text("churches:\n" + "".join(f"  - slug: {s}\n" for s in names))
    print(f"churches: {len(names)} churches of {PEOPLE} people, each with its own simulator "
          f"and database; a 15-minute interval lasts {INTERVAL:.0f} s (scale {scale:.3f}), "
          f"{INTERVALS} intervals, 2 Celery workers", flush=True)
    sims = []
    deployment = None
    try:
        for _ in names:
            sims.append(church.Sim(PEOPLE, time_scale=round(scale, 4)) if scale < 1
                        else church.Sim(PEOPLE))
        dbs = [_recreate(server, f"pco_sync_bench_church_{s}") for s in names]
        began = time.perf_counter()
        seed(sims, dbs)
        print(f"churches: first syncs (task bodies, one process) in "
              f"{time.perf_counter() - began:.0f} s", flush=True)
        env = {k: v for k, v in church.env().items() if not k.startswith("AIRFLOW_")}
        env["PCO_SYNC_CHURCHES_FILE"] = str(churches_file)
        for slug, sim, db in zip(names, sims, dbs):
            env[f"AIRFLOW_CONN_PCO_{slug.upper()}"] = json.dumps({
                "conn_type": "pco", "host": sim.url, "login": church.APP_ID,
                "password": church.SECRET})
            env[f"AIRFLOW_CONN_CHURCH_DB_{slug.upper()}"] = devdb.airflow_conn_uri(db)
        prepared = celery.prepare(cfg, env, start_simulators=False)
        deployment = celery.Deployment(cfg, prepared.env)
        deployment.start()
        dag_ids = [c["dag_id"] for c in prepared.churches]
        if dag_ids != [f"pco_sync__{s}" for s in names]:
            raise RuntimeError(f"churches: the churches file made DAGs {dag_ids[:3]}...: this "
                               "benchmark needs the per-church DAG factory (pco_sync__<slug>)")
        cpu_before = deployment_cpu(deployment)
        runs = schedule(prepared.env, dag_ids, sims)
        cpu_after = deployment_cpu(deployment)
        used = {n: cpu_after[n] - cpu_before.get(n, 0.0) for n in cpu_after}
        print("churches: CPU-s by component: "
              + ", ".join(f"{n} {s:.0f}" for n, s in sorted(used.items())), flush=True)
        cpu = sum(used.values())
    finally:
        if deployment is not None:
            deployment.stop()
        for sim in sims:
            sim.stop()
    return figures(runs, cpu, len(names))


# ---- the first syncs ---------------------------------------------------------------------
def seed(sims: list, dbs: list[str]) -> None:
    """Each church's first sync, whole, with the DAG's task bodies (bench.groups.sync_run) in
    one child process."""
    pairs = json.dumps([[s.url, d] for s, d in zip(sims, dbs)])
    proc = subprocess.run([sys.executable, "-m", "bench.churches", "--seed"], input=pairs,
                          cwd=church.ROOT, env=church.env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"churches: the first syncs failed:\n{proc.stderr[-3000:]}")


def _seed_here() -> None:
    from bench.groups import sync_run

    for sim_url, db_url in json.loads(sys.stdin.read()):
        sync_run(sim_url, db_url, "bench-first-sync", full=True)


# ---- the time-scaled timetable -----------------------------------------------------------
def schedule(env: dict, dag_ids: list[str], sims: list) -> list[dict]:
    """The measured intervals: runs created at their due times (a child with Airflow's
    settings does that and reports each run), PCO edits made in between."""
    # The first runs are due from t0 on (each at its offset); the child loads Airflow first.
    t0 = time.time() + 40
    plan = {"t0": t0, "interval": INTERVAL, "intervals": INTERVALS, "dags": dag_ids,
            "deadline": t0 + (INTERVALS + 1) * INTERVAL}
    stop = threading.Event()
    editor = threading.Thread(target=edit_people, args=(sims, t0, stop), daemon=True)
    editor.start()
    try:
        proc = subprocess.run([sys.executable, "-m", "bench.churches", "--schedule"],
                              input=json.dumps(plan), cwd=church.ROOT,
                              env={**env, "AIRFLOW_HOME": env["PCO_SYNC_AIRFLOW_HOME"]},
                              capture_output=True, text=True)
    finally:
        stop.set()
        editor.join(timeout=10)
    if proc.returncode != 0:
        raise RuntimeError(f"churches: scheduling the runs failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def edit_people(sims: list, t0: float, stop: threading.Event) -> None:
    """Staff edit EDITS people of every church in PCO once per interval, at a moment inside
    every church's window of that interval (the last scaled minute before t0 + k x
    INTERVAL, which no offset's window leaves out)."""
    for k in range(INTERVALS):
        if stop.wait(max(0.0, t0 + k * INTERVAL - INTERVAL / 30 - time.time())):
            return
        for sim in sims:
            for n in range(EDITS):
                person = 10_000_001 + (k * EDITS + n) % PEOPLE
                req = urllib.request.Request(
                    f"{sim.url}/__admin/records/people/{person}", method="PATCH",
                    data=json.dumps({"nickname": f"edit {k}.{n}"}).encode(),
                    headers={"Content-Type": "application/json"})
                urllib.request.urlopen(req, timeout=30).close()


def offset_minutes(timetable) -> int:
    """The minute within each quarter hour the DAG's cron starts at (0 for */15)."""
    expression = getattr(timetable, "_expression", None) or timetable.summary
    minute = expression.split()[0]
    if minute.startswith("*"):
        return 0
    return min(int(m) for m in minute.split(",")) % 15


def _schedule_here() -> None:
    """In a child with the deployment's Airflow settings: create each church's scheduled
    runs at their (scaled) due times, as the scheduler would, then report every run."""
    from datetime import datetime, timezone

    from airflow.models.dagrun import DagRun
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.models.taskinstance import TaskInstance
    from airflow.timetables.base import DataInterval
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType

    plan = json.loads(sys.stdin.read())
    interval, t0 = plan["interval"], plan["t0"]
    deadline = time.time() + 300
    dags = {}
    while len(dags) < len(plan["dags"]):  # the DAG processor may still be parsing
        with create_session() as session:
            for dag_id in plan["dags"]:
                found = SerializedDagModel.get(dag_id=dag_id, session=session)
                if found is not None:
                    dags[dag_id] = offset_minutes(found.dag.timetable)
        if time.time() > deadline:
            raise SystemExit(f"DAGs not parsed in 300 s: {sorted(set(plan['dags']) - set(dags))}")
        time.sleep(2)
    due = []
    for dag_id, offset in dags.items():
        for k in range(plan["intervals"]):
            # Run k covers the (scaled) quarter hour that ends at t0 + k x interval + offset.
            end = t0 + k * interval + offset * interval / 15
            due.append((end, end - interval, dag_id, offset))
    due.sort()
    made = []
    for end, start, dag_id, offset in due:
        time.sleep(max(0.0, end - time.time()))
        utc = lambda s: datetime.fromtimestamp(s, timezone.utc)  # noqa: E731
        with create_session() as session:
            dag = SerializedDagModel.get(dag_id=dag_id, session=session).dag
            window = DataInterval(utc(start), utc(end))
            run = dag.create_dagrun(
                run_id=dag.timetable.generate_run_id(run_type=DagRunType.SCHEDULED,
                                                     run_after=window.end, data_interval=window),
                logical_date=window.start, data_interval=window, run_after=window.end,
                run_type=DagRunType.SCHEDULED, triggered_by=DagRunTriggeredByType.TIMETABLE,
                state=DagRunState.QUEUED, creating_job_id=None, session=session)
            made.append((dag_id, run.run_id, end, offset))
    runs = []
    while True:
        with create_session() as session:
            states = {(r.dag_id, r.run_id): r for r in session.query(DagRun).filter(
                DagRun.dag_id.in_(list(dags)))}
            done = all(states[(d, r)].state in ("success", "failed") for d, r, _, _ in made)
            if done or time.time() > plan["deadline"]:
                for dag_id, run_id, end, offset in made:
                    r = states[(dag_id, run_id)]
                    tis = session.query(TaskInstance).filter(TaskInstance.dag_id == dag_id,
                                                             TaskInstance.run_id == run_id).all()
                    busy = sum((ti.duration or 0) for ti in tis)
                    finished = sum(1 for ti in tis if ti.state in ("success", "skipped",
                                                                   "failed", "upstream_failed"))
                    runs.append({"dag_id": dag_id, "run_id": run_id, "due": end,
                                 "offset": offset, "state": str(r.state),
                                 "start": r.start_date.timestamp() if r.start_date else None,
                                 "end": r.end_date.timestamp() if r.end_date else None,
                                 "task_seconds": busy, "tasks": len(tis),
                                 "tasks_done": finished})
                break
        time.sleep(3)
    print(json.dumps(runs))


# ---- CPU -------------------------------------------------------------------------------
def deployment_cpu(deployment) -> dict[str, float]:
    """CPU seconds each of the deployment's components has used, its processes' reaped
    children included (a worker's finished task processes are in its pool processes'
    children times)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for name in deployment.procs:
        total = 0
        for pid in deployment.tree(name):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        used[name] = total / tick
    return used


# ---- figures -----------------------------------------------------------------------------
def figures(runs: list[dict], cpu: float, churches: int) -> dict[str, dict]:
    late = [((r["end"] or math.inf) - r["due"]) for r in runs]
    failed = [r for r in runs if r["state"] != "success"]
    minute = INTERVAL / 15
    starts = sorted(r["start"] for r in runs if r["start"])
    busiest = max((sum(1 for s in starts if a <= s < a + minute) for a in starts), default=0)
    spans = []
    for k in range(INTERVALS):
        ks = sorted(r["start"] for r in runs if r["start"] and
                    round((r["due"] - runs[0]["due"]) // INTERVAL) == k)
        if ks:
            spans.append((ks[-1] - ks[0]) / minute)
    # CPU per run from the tasks that finished: a run cut off by the deadline counts for
    # the share of its tasks done, not for a whole run.
    done = sum(r["tasks_done"] for r in runs)
    per_run = cpu * sum(r["tasks"] for r in runs) / max(1, done) / max(1, len(runs))
    cores = os.cpu_count() or 1
    task_seconds = sum(r["task_seconds"] for r in runs) / max(1, len(runs))
    wall = [(r["end"] - r["start"]) for r in runs if r["end"] and r["start"]]
    print(f"churches: {len(runs)} runs, {len(failed)} not successful; latest finish "
          f"{max(late):.1f} s after its due time (interval {INTERVAL:.0f} s); a run took "
          f"{sum(wall) / max(1, len(wall)):.1f} s on average from start to end, "
          f"{task_seconds:.1f} task-seconds of worker slots; the busiest scaled minute saw "
          f"{busiest} starts; starts spread over {', '.join(f'{s:.1f}' for s in spans)} "
          f"scaled minutes per interval; {cpu:.0f} CPU-s in all for {done} of "
          f"{sum(r['tasks'] for r in runs)} tasks, so {per_run:.1f} CPU-s per run on {cores} "
          f"cores", flush=True)
    if failed:
        print(f"churches: not successful: {[(r['dag_id'], r['state']) for r in failed][:5]}",
              flush=True)
    worst = max(late) if not failed else max(max(late), INTERVAL * 10)
    return {
        "churches.latest_finish_seconds": {"value": round(worst, 1), "bound": INTERVAL,
                                           "target": 1.0, "unit": "s"},
        "churches.busiest_minute_starts": {"value": busiest, "bound": churches, "target": 0.25,
                                           "unit": "runs"},
        "churches.cpu_seconds_per_run": {"value": round(per_run, 1),
                                         "bound": round(cores * REAL_INTERVAL / churches, 1),
                                         "target": 1.0, "unit": "s"},
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["--seed"]:
        _seed_here()
    elif sys.argv[1:] == ["--schedule"]:
        _schedule_here()
    else:
        for name, fig in run().items():
            print(name, fig)
