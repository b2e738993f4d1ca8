"""Many churches on one deployment: dags/pco_sync.py makes one DAG per church of churches.yaml
(its id, pool, schedule, tags, Params and docs), each task uses only its church's connections
and Variables, and two churches synced side by side through Airflow stay apart: one church's
PCO failing leaves the other's run whole, and no run writes to another church's database."""
from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from pco_sync import churches
from pco_sync.airflow import tasks
from pco_sync.pco.resources import RESOURCES
from pco_sync.push.entities import PUSHES

DAGS = Path(__file__).resolve().parents[2] / "dags"
CHURCHES = """
churches:
  - slug: a
  - slug: b
    name: Church B
    pco_conn_id: pco_b_account
    resources: [people, households]
    push: {scope: sync_groups, sync_groups: [Choir], max_changes: 40}
    schedule_offset: 7
"""


def sync_files() -> list[Path]:
    """The DAG files of the sync DAGs: dags/pco_sync.py and its shards."""
    return [DAGS / "pco_sync.py", *sorted(DAGS.glob("pco_sync_shard_*.py"))]


def dagbag(file: Path, text: str | None, monkeypatch):
    """The sync DAGs of every sync DAG file (dags/pco_sync.py and its shards), as one bag,
    with `text` as the churches file (None: no file); the webhooks DAGs per church are
    tests/webhooks/test_per_church.py's."""
    from airflow.dag_processing.dagbag import DagBag

    if text is None:
        file.unlink(missing_ok=True)
    else:
        file.write_text(text)
    monkeypatch.setenv(churches.ENV_FILE, str(file))
    bags = [DagBag(dag_folder=str(path)) for path in sync_files()]
    for other in bags[1:]:
        bags[0].dags.update(other.dags)
        bags[0].import_errors.update(other.import_errors)
    return bags[0]


@pytest.fixture
def bag(tmp_path, monkeypatch):
    return dagbag(tmp_path / "churches.yaml", CHURCHES, monkeypatch)


def test_one_dag_per_church(bag):
    assert bag.import_errors == {}
    assert set(bag.dags) == {"pco_sync__a", "pco_sync__b"}  # no pco_sync: no default church
    a, b = bag.dags["pco_sync__a"], bag.dags["pco_sync__b"]
    assert set(a.tags) == {"pco", "sync", "church:a"} and "church:b" in b.tags
    assert [t.task_id for t in a.tasks] == [t.task_id for t in b.tasks]  # the same sync
    assert (a.max_active_runs, b.max_consecutive_failed_dag_runs) == (1, 4)
    # The module's docs, then which church and which of its settings the DAG uses.
    assert b.doc_md.startswith(bag.dags["pco_sync__a"].doc_md.split("## This church")[0])
    assert "**Church B** (`b`): connections `pco_b_account` and `church_db_b`, pool " \
           "`pco_api__b`" in b.doc_md
    assert "[PCO Sync page](/pco-sync/review/pco_sync__b)" in b.doc_md


def test_a_task_process_builds_only_its_own_churchs_dag(tmp_path, monkeypatch):
    # What Airflow's task runner sets before it parses the file for one task.
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "pco_sync__b")
    only = dagbag(tmp_path / "churches.yaml", CHURCHES, monkeypatch)
    assert only.import_errors == {} and set(only.dags) == {"pco_sync__b"}


def test_a_busy_deployment_finishes_the_runs_it_started_first(bag):
    from types import SimpleNamespace

    from airflow.task.priority_strategy import validate_and_load_priority_weight_strategy

    # "upstream": a task's priority grows with the tasks before it in its run (weighed as
    # the scheduler weighs them).
    dag = bag.dags["pco_sync__a"]
    rules = {validate_and_load_priority_weight_strategy(t.weight_rule) for t in dag.tasks}
    assert len(rules) == 1
    rule = rules.pop()
    weights = {t.task_id: rule.get_weight(SimpleNamespace(task=t)) for t in dag.tasks}
    assert weights["summarize"] > weights["push.people"] > weights["merge.people"] \
        > weights["extract.people"] > weights["ensure_schema"]


def test_each_church_calls_pco_in_its_own_pool(bag):
    for slug in ("a", "b"):
        dag = bag.dags[f"pco_sync__{slug}"]
        pco_calls = {t.task_id for t in dag.tasks if t.task_id.startswith(("extract.", "push."))}
        assert len(pco_calls) == len(RESOURCES) + len(PUSHES)
        assert {dag.get_task(t).pool for t in pco_calls} == {f"pco_api__{slug}"}
        # the database-only tasks queue in the default pool, never behind PCO calls
        assert {t.pool for t in dag.tasks if t.task_id not in pco_calls} == {"default_pool"}


def test_schedules_are_staggered_over_the_quarter_hour(bag):
    import pendulum
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    start = pendulum.datetime(2026, 3, 1, 10, 0, tz="UTC")
    offsets = {"a": churches.stable_offset("a"), "b": 7}
    assert offsets["a"] != offsets["b"]
    for slug, offset in offsets.items():
        timetable = coerce_to_core_timetable(bag.dags[f"pco_sync__{slug}"].timetable)
        info = timetable.next_dagrun_info(
            last_automated_data_interval=None,
            restriction=TimeRestriction(earliest=start, latest=None, catchup=True))
        starts = [info.data_interval.start]
        for _ in range(4):
            info = timetable.next_dagrun_info(last_automated_data_interval=info.data_interval,
                                              restriction=TimeRestriction(start, None, True))
            starts.append(info.data_interval.start)
            assert info.data_interval.end - info.data_interval.start == timedelta(minutes=15)
        # consecutive 15-minute windows that tile time (windows read each change once)
        assert [s.minute for s in starts] == [offset + 15 * (i % 4) for i in range(5)]


def test_params_default_to_the_churchs_resources(bag):
    b = bag.dags["pco_sync__b"]
    assert b.params["resources"] == ["people", "households"]
    assert b.params.get_param("resources").schema["items"]["enum"] == \
        ["people", "households", "groups", "teams", "events"]  # a manual run may read more
    assert bag.dags["pco_sync__a"].params["resources"] == \
        ["people", "households", "groups", "teams", "events"]


def test_a_church_taken_out_of_the_file_is_gone_from_the_next_parse(tmp_path, monkeypatch):
    file = tmp_path / "churches.yaml"
    assert set(dagbag(file, CHURCHES, monkeypatch).dags) == {"pco_sync__a", "pco_sync__b"}
    again = dagbag(file, "churches:\n  - slug: b\n  - slug: c\n", monkeypatch)
    assert set(again.dags) == {"pco_sync__b", "pco_sync__c"}
    assert set(dagbag(file, None, monkeypatch).dags) == {"pco_sync"}  # no file: as before


@pytest.mark.parametrize("text, message", [
    ("churches:\n  - slug: a\n  - slug: a\n", "church 'a' is listed twice"),
    ("churches:\n  - slug: a\n    pool: x\n", "church 'a': unknown field pool"),
    ("churches:\n  - slug: a\n    resources: [people, songs]\n",
     "church 'a': resources: unknown resource songs"),
    ("churches:\n  - slug: a\n    push: {scope: all}\n",
     "churches.yaml: church 'a': push.scope must be one of everyone, sync_groups"),
    ("churches:\n  - slug: a\n    push: {fields: [emails, shoe_size]}\n",
     "church 'a': push.fields: unknown shoe_size"),
])
def test_a_broken_entry_is_that_churchs_alone(tmp_path, monkeypatch, text, message):
    """Every other church is built; the broken one's DAG (its own id, schedule and tags,
    tag `broken`) has one task that fails at once naming the church and the field."""
    bag = dagbag(tmp_path / "churches.yaml", text + "  - slug: c\n  - slug: d\n", monkeypatch)
    assert bag.import_errors == {}
    assert set(bag.dags) == {"pco_sync__a", "pco_sync__c", "pco_sync__d"}
    assert [t.task_id for t in bag.dags["pco_sync__c"].tasks] == \
        [t.task_id for t in dagbag(tmp_path / "ok.yaml", "churches:\n  - slug: c\n",
                                   monkeypatch).dags["pco_sync__c"].tasks]
    broken = bag.dags["pco_sync__a"]
    assert "broken" in broken.tags and "church:a" in broken.tags
    assert message in broken.description and message in broken.doc_md
    [task] = broken.tasks
    assert (task.task_id, task.retries) == ("churches_file", 0)
    with pytest.raises(churches.ChurchesFileError, match=re.escape(message)):
        task.python_callable(*task.op_args, **task.op_kwargs)


def test_an_entry_without_a_usable_slug_is_reported_by_its_place(tmp_path, monkeypatch):
    bag = dagbag(tmp_path / "churches.yaml",
                 "churches:\n  - slug: c\n  - slug: Grace Church\n", monkeypatch)
    assert set(bag.dags) == {"pco_sync__c", "pco_sync_broken_entry_2"}
    assert "church 2: slug 'Grace Church' must be lower case" in \
        bag.dags["pco_sync_broken_entry_2"].description


@pytest.mark.parametrize("text, message", [
    ("churches: grace\n", "expected `churches:` with a list of churches"),
    ("churches:\n  - slug: [a\n", "is not valid YAML"),
])
def test_a_file_that_is_no_list_of_churches_is_an_import_error(tmp_path, monkeypatch, text,
                                                                message):
    bag = dagbag(tmp_path / "churches.yaml", text, monkeypatch)
    assert bag.dags == {}
    errors = list(bag.import_errors.values())  # one per sync DAG file
    assert len(errors) == len(sync_files())
    assert all("ChurchesFileError" in e and message in e for e in errors), errors[0][-600:]


def test_the_churches_are_spread_over_the_sync_dag_files_by_slug(tmp_path, monkeypatch):
    """Each church is built by exactly one file, always the same one; no file builds much
    more than its share (one parse stays short at 1,000 churches: make bench)."""
    from airflow.dag_processing.dagbag import DagBag

    from pco_sync.airflow import sync_dag

    file = tmp_path / "churches.yaml"
    file.write_text("churches:\n" + "".join(f"  - slug: c{i:03d}\n" for i in range(200)))
    monkeypatch.setenv(churches.ENV_FILE, str(file))
    per_file = {path.name: set(DagBag(dag_folder=str(path)).dags) for path in sync_files()}
    assert len(per_file) == sync_dag.SHARDS
    every = [d for dags in per_file.values() for d in dags]
    assert sorted(every) == sorted(f"pco_sync__c{i:03d}" for i in range(200))  # once each
    assert max(len(d) for d in per_file.values()) < 2 * 200 / sync_dag.SHARDS
    for name, dags in per_file.items():
        shard = 0 if name == "pco_sync.py" else int(name.removesuffix(".py").rsplit("_", 1)[1])
        assert {churches.shard(d.removeprefix("pco_sync__"), sync_dag.SHARDS)
                for d in dags} <= {shard}


# ---- what a task of a church reads at run time ----------------------------------------------
class FakeDagRun:
    def __init__(self, dag_id: str, run_type: str = "scheduled"):
        self.dag_id, self.run_type, self.start_date = dag_id, run_type, None


def run_of(dag_id: str, **params) -> tasks.SyncRun:
    return tasks.SyncRun.of({"dag_run": FakeDagRun(dag_id), "run_id": "r1", "params": params})


def test_tasks_use_their_churchs_connections_and_variables(tmp_path, monkeypatch):
    (tmp_path / "churches.yaml").write_text(CHURCHES)
    monkeypatch.setenv(churches.ENV_FILE, str(tmp_path / "churches.yaml"))
    for name in [k for k in os.environ if k.startswith("AIRFLOW_VAR_PCO_SYNC")]:
        monkeypatch.delenv(name)
    a, b = run_of("pco_sync__a"), run_of("pco_sync__b")
    assert (a.church.pco_conn_id, a.church.church_db_conn_id) == ("pco_a", "church_db_a")
    assert (b.church.pco_conn_id, b.church.church_db_conn_id) == ("pco_b_account", "church_db_b")
    assert tasks.church_db_conn_id("pco_sync__b") == "church_db_b"  # the PCO Sync page's

    # Unset Variables: the church's entry in the file, else the defaults.
    assert b.resources() == ["people", "households"]
    assert a.resources() == ["people", "households", "groups", "teams", "events"]
    settings = tasks.push_settings(b.church)
    assert (settings.scope, settings.sync_groups, settings.limits.max_changes) == \
        ("sync_groups", ("Choir",), 40)
    assert tasks.push_settings(a.church).scope == "everyone"

    # The church's own Variables win over the file; another church's never apply.
    monkeypatch.setenv("AIRFLOW_VAR_PCO_SYNC_RESOURCES__B", '["people"]')
    monkeypatch.setenv("AIRFLOW_VAR_PCO_SYNC_PUSH_SCOPE__B", "everyone")
    monkeypatch.setenv("AIRFLOW_VAR_PCO_SYNC_RESOURCES", '["events"]')  # the default church's
    monkeypatch.setenv("AIRFLOW_VAR_PCO_SYNC_PUSH_MAX_CHANGES__A", "3")
    assert b.resources() == ["people"]
    assert a.resources() == ["people", "households", "groups", "teams", "events"]
    assert tasks.push_settings(b.church).scope == "everyone"
    assert tasks.push_settings(b.church).limits.max_changes == 40
    assert tasks.push_settings(a.church).limits.max_changes == 3

    # A broken Variable is named as the church must correct it.
    monkeypatch.setenv("AIRFLOW_VAR_PCO_SYNC_PUSH_SCOPE__B", "some")
    with pytest.raises(churches.SettingsError, match="pco_sync_push_scope__b must be one of"):
        tasks.push_settings(b.church)


def test_a_dag_that_is_no_churchs_fails_without_retries(tmp_path, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    (tmp_path / "churches.yaml").write_text(CHURCHES)
    monkeypatch.setenv(churches.ENV_FILE, str(tmp_path / "churches.yaml"))
    with pytest.raises(AirflowFailException, match="pco_sync__gone is not the DAG of a church"):
        run_of("pco_sync__gone")
    with pytest.raises(LookupError):  # a DAG of no church: no database to open
        tasks.church_db_conn_id("pco_sync")


def test_alerts_go_to_the_churchs_own_connections_first(tmp_path, monkeypatch):
    from pco_sync.airflow import alerts

    [default] = alerts.on_failure()
    assert [c.conn_id for c in default.channels] == ["pco_sync_smtp", "pco_sync_alert_webhook"]
    [b] = alerts.on_failure(churches.parse({"churches": [{"slug": "b"}]})[0])
    monkeypatch.setenv("AIRFLOW_CONN_PCO_SYNC_SMTP", "smtp://deployment@mail:25")
    monkeypatch.setenv("AIRFLOW_CONN_PCO_SYNC_ALERT_WEBHOOK__B", "http://hooks.b.example")
    # b's e-mail: the deployment's (b has none of its own); its webhook: its own
    assert [c.conn_id for c in b.channels] == ["pco_sync_smtp", "pco_sync_alert_webhook__b"]
    monkeypatch.setenv("AIRFLOW_CONN_PCO_SYNC_SMTP__B", "smtp://b@mail:25")
    assert b.channels[0].conn_id == "pco_sync_smtp__b"


# ---- two churches synced side by side through Airflow -----------------------------------------
def church_env(file: Path, sims: dict, dbs: dict, **more) -> dict:
    """The environment of `airflow dags test` for these churches: each its own PCO (a
    simulator) and its own database, as AIRFLOW_CONN_* variables (connection ids of the file's
    defaults: pco_<slug>, church_db_<slug>)."""
    from devkit import devdb
    from test_dag_e2e import AIRFLOW_HOME

    env = {**os.environ, "PCO_SYNC_AIRFLOW_HOME": str(AIRFLOW_HOME),
           churches.ENV_FILE: str(file)}
    for slug, sim in sims.items():
        login, password = sim.auth
        env[f"AIRFLOW_CONN_PCO_{slug.upper()}"] = json.dumps(
            {"conn_type": "pco", "host": sim.url, "login": login,
             "password": more.get(f"password_{slug}", password)})
        env[f"AIRFLOW_CONN_CHURCH_DB_{slug.upper()}"] = devdb.airflow_conn_uri(dbs[slug])
    return env


def dags_test(env: dict, dag_id: str) -> tuple[str, str]:
    """Run `dag_id` once through Airflow: (its final state, the output)."""
    from test_dag_e2e import ROOT

    proc = subprocess.run([str(ROOT / "bin" / "airflow"), "dags", "test", dag_id, "-c",
                           json.dumps({"full_refresh": True})],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=280)
    out = proc.stdout + proc.stderr
    m = re.search(rf"DagRun Finished: dag_id={dag_id}, .*?state=(\w+)", out)
    assert m, f"no 'DagRun Finished' line for {dag_id} ({proc.returncode}):\n{out[-6000:]}"
    return m[1], out


def count(url: str, query: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchone()[0]


@pytest.mark.airflow
@pytest.mark.timeout(900)
def test_one_churchs_pco_failing_leaves_the_others_run_whole(tmp_path):
    from databases import scratch_database
    from pco_simulator import SimConfig, Simulator

    file = tmp_path / "churches.yaml"
    file.write_text("churches:\n  - slug: a\n  - slug: b\n    resources: [people, households]\n")
    with scratch_database("pco_sync_church_a") as db_a, \
            scratch_database("pco_sync_church_b") as db_b, \
            Simulator(SimConfig(rate_limit=100_000), people=40, seed=3) as sim_a, \
            Simulator(SimConfig(rate_limit=100_000), people=120, seed=4) as sim_b:
        # A's PCO account refuses its credentials (revoked in PCO: every call is a 401).
        env = church_env(file, {"a": sim_a, "b": sim_b}, {"a": db_a, "b": db_b},
                         password_a="revoked")

        state, out = dags_test(env, "pco_sync__a")
        assert state == "failed", out[-4000:]
        assert "401" in out
        assert {r["status"] for r in sim_a.sim.requests} == {401}
        assert not sim_b.sim.requests  # A's run never called B's PCO ...
        # ... migrated A's own database (ensure_schema: its connection) and staged nothing
        assert count(db_a, "SELECT count(*) FROM sync.schema_migrations") > 0
        assert count(db_a, "SELECT count(*) FROM church.people") == 0
        # ... and never opened B's: not even its schema exists
        assert count(db_b, "SELECT count(*) FROM pg_namespace WHERE nspname IN "
                           "('church', 'sync', 'pco_staging')") == 0

        # B's run right after: whole, with B's settings (its resources from the file).
        a_calls = len(sim_a.sim.requests)
        state, out = dags_test(env, "pco_sync__b")
        assert state == "success", out[-6000:]
        assert len(sim_a.sim.requests) == a_calls  # nothing asked of A's PCO
        people = count(db_b, "SELECT count(*) FROM church.people WHERE pco_id IS NOT NULL")
        assert people > 100  # 120 in B's PCO, a few quarantined
        assert count(db_b, "SELECT count(*) FROM church.families") > 0
        assert count(db_b, "SELECT count(*) FROM church.groups") == 0  # not B's resources
        routes = {r["route"] for r in sim_b.sim.requests}
        assert not any(r.startswith(("/groups/", "/services/", "/calendar/")) for r in routes), routes
        # A's database holds nothing of B's run: no records, no run bookkeeping
        assert count(db_a, "SELECT count(*) FROM church.people") == 0
        assert count(db_a, "SELECT count(*) FROM sync.full_syncs") == 0
        assert count(db_b, "SELECT count(*) FROM sync.full_syncs") > 0
