"""Every DAG in dags/ imports cleanly and follows the project's rules."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[1] / "dags"


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
    dag = dagbag.dags["pco_sync"]
    assert dag.params["full_refresh"] is False
    resources = ["people", "households", "groups", "events", "teams"]
    assert dag.params["resources"] == resources  # a scheduled run syncs everything
    assert dag.params["accept_mass_leaves"] is False
    schema = dag.params.get_param("resources").schema
    assert schema["items"]["enum"] == resources
    extracts = {f"extract_{r}" for r in resources}
    for tid in extracts:
        assert dag.get_task(tid).pool == "pco_api"
        assert dag.get_task(tid).upstream_task_ids == {"ensure_schema"}
    assert dag.get_task("validate").upstream_task_ids == extracts
    assert dag.get_task("merge_families").upstream_task_ids == {"merge_people"}
    # memberships need their people merged first; every inbound merge precedes the push
    assert dag.get_task("merge_groups").upstream_task_ids == {"merge_families"}
    assert dag.get_task("merge_teams").upstream_task_ids == {"merge_groups"}
    assert dag.get_task("merge_events").upstream_task_ids == {"merge_teams"}
    assert "merge_events" in dag.get_task("push_people").upstream_task_ids
    # summarize runs after every task whose counts it reads
    from pco_sync.tasks import SUMMARY_ROWS

    before_summary = dag.get_task("summarize").get_flat_relative_ids(upstream=True)
    assert {"validate", *SUMMARY_ROWS.values()} <= before_summary


def test_resources_param_rejects_unknown_streams(dagbag):
    from airflow.sdk.exceptions import ParamValidationError

    param = dagbag.dags["pco_sync"].params.get_param("resources")
    assert param.resolve(["people"]) == ["people"]
    with pytest.raises(ParamValidationError):
        param.resolve(["people", "groups_typo"])
