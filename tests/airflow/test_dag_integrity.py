"""Every DAG in dags/ imports cleanly and follows the project's rules."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "pco_sync" in dagbag.dags


def test_every_dag_follows_the_rules(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, dag_id
        assert dag.max_active_runs == 1, dag_id
        assert (dag.doc_md or "").strip(), dag_id
        assert dag.catchup is False, dag_id
        for t in dag.tasks:
            assert t.retries >= 1, f"{dag_id}.{t.task_id} has no retries"


def test_runs_own_15_minute_data_intervals(dagbag):
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction
    from airflow.timetables.interval import CronDataIntervalTimetable

    timetable = coerce_to_core_timetable(dagbag.dags["pco_sync"].timetable)
    assert isinstance(timetable, CronDataIntervalTimetable)
    import pendulum

    start = pendulum.datetime(2026, 3, 1, 10, 7, tz="UTC")
    info = timetable.next_dagrun_info(last_automated_data_interval=None,
                                      restriction=TimeRestriction(earliest=start, latest=None, catchup=True))
    interval = info.data_interval
    assert interval.end - interval.start == timedelta(minutes=15)
    assert interval.start == datetime(2026, 3, 1, 10, 15, tzinfo=timezone.utc)


def test_params_and_graph(dagbag):
    from pco_sync.pco.resources import RESOURCES
    from pco_sync.push.entities import PUSHES

    dag = dagbag.dags["pco_sync"]
    assert dag.params["full_refresh"] is False
    resources = list(RESOURCES)
    assert resources == ["people", "households", "groups", "teams", "events"]
    assert dag.params["resources"] == resources  # a scheduled run syncs everything
    assert dag.params["accept_mass_leaves"] is False
    schema = dag.params.get_param("resources").schema
    assert schema["items"]["enum"] == resources
    # one task per resource in each of the groups extract, validate, merge; one per push
    assert {g for g in dag.task_group.children} >= {"extract", "validate", "merge", "push"}
    for r in resources:
        assert dag.get_task(f"extract.{r}").pool == "pco_api"
        assert dag.get_task(f"extract.{r}").upstream_task_ids == {"ensure_schema"}
        assert dag.get_task(f"validate.{r}").upstream_task_ids == {f"extract.{r}"}
    # merges in registry order (families need people, memberships their people and groups),
    # the first once every batch passed its gates; every merge precedes the pushes
    merges = [f"merge.{r}" for r in resources]
    assert dag.get_task(merges[0]).upstream_task_ids == {f"validate.{r}" for r in resources}
    for before, after in zip(merges, merges[1:]):
        assert dag.get_task(after).upstream_task_ids == {before}
    pushes = [f"push.{p}" for p in PUSHES]
    assert pushes == ["push.people", "push.families", "push.memberships", "push.team_assignments"]
    assert dag.get_task(pushes[0]).upstream_task_ids == {merges[-1]}
    for name in pushes:
        assert dag.get_task(name).pool == "pco_api"
    # summarize runs after every task whose counts it reads
    before_summary = dag.get_task("summarize").upstream_task_ids
    assert {*(f"validate.{r}" for r in resources), *merges, *pushes} <= before_summary


def test_the_package_does_not_know_the_dags_task_ids():
    """The DAG builds its tasks from the registry; no module of the package names them."""
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "plugins" / "pco_sync"
    ids = re.compile(r"['\"](?:extract|validate|merge|push)[._](?:people|households|groups|"
                     r"teams|events|families|memberships)['\"]")
    for path in package.rglob("*.py"):
        assert not ids.search(path.read_text()), f"{path} names a task id of the DAG"


def test_resources_param_rejects_unknown_streams(dagbag):
    from airflow.sdk.exceptions import ParamValidationError

    param = dagbag.dags["pco_sync"].params.get_param("resources")
    assert param.resolve(["people"]) == ["people"]
    with pytest.raises(ParamValidationError):
        param.resolve(["people", "groups_typo"])
