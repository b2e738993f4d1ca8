"""The task bodies of the pco_sync DAG. Each turns Airflow's context into one call of a step
(pco_sync.extract, quality, merge, push) with the run's connections (PCO through PcoHook, the
church database through PostgresHook), and turns errors a retry cannot fix (a quality gate,
a setting to correct, PCO refusing the request) into failures without retries.

Steps are imported inside the functions: the DAG file imports this module at parse time,
and Great Expectations alone takes seconds to import.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

log = logging.getLogger(__name__)

PCO_CONN_ID = "pco_default"
CHURCH_DB_CONN_ID = "church_db"
# The resources scheduled runs read (a JSON list); unset: all. A church without Services
# sets it without touching code. Manual runs use their `resources` Param.
RESOURCES_VARIABLE = "pco_sync_resources"


@dataclass(frozen=True)
class SyncRun:
    """What a task needs to know of its DAG run."""

    run_id: str
    window_start: object  # the data interval; None for a run that has none
    window_end: object
    manual: bool
    started: datetime  # when the run started: a manual run reads up to here
    params: dict

    @classmethod
    def of(cls, context) -> "SyncRun":
        dag_run = context["dag_run"]
        started = getattr(dag_run, "start_date", None) or datetime.now(timezone.utc)
        return cls(context["run_id"], context.get("data_interval_start"),
                   context.get("data_interval_end"), dag_run.run_type == "manual",
                   started, dict(context["params"]))

    def flag(self, name: str) -> bool:
        return bool(self.params.get(name))

    def resources(self) -> list[str]:
        """What this run reads: a manual run's `resources` Param, else the Variable."""
        from pco_sync.pco import resources

        if self.manual:
            return resources.names(self.params.get("resources") or list(resources.RESOURCES),
                                   "the resources Param")
        from airflow.sdk import Variable

        value = Variable.get(RESOURCES_VARIABLE, default=None)
        return resources.names(value, RESOURCES_VARIABLE) if value else list(resources.RESOURCES)


def church_db_conn_id(dag_id: str) -> str:
    """The church database connection of a sync DAG (its church's, from churches.yaml)."""
    from pco_sync import churches

    church = churches.by_dag_id(dag_id)
    if church is None:
        raise LookupError(f"{dag_id} is not the DAG of a church of this deployment")
    return church.church_db_conn_id


def church_db(conn_id: str = CHURCH_DB_CONN_ID):
    """A psycopg connection to the church database (Airflow connection `church_db`)."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    return PostgresHook(postgres_conn_id=conn_id).get_conn()


def pco_client(conn_id: str = PCO_CONN_ID):
    from pco_sync.airflow.hooks import PcoHook

    return PcoHook(conn_id).get_client()


@contextmanager
def fail_fast():
    """Errors a retry cannot fix become AirflowFailException (no retry, same message)."""
    from airflow.sdk.exceptions import AirflowFailException

    from pco_sync.errors import (MigrationError, PcoError, PushGateError, QualityGateError,
                                 SettingsError, SqlFilesError)

    try:
        yield
    except (QualityGateError, PushGateError, SettingsError, MigrationError, SqlFilesError) as exc:
        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
    except PcoError as exc:
        if exc.permanent:
            raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
        raise


def ensure_schema() -> list[str]:
    """Apply the migrations this database lacks (none: no DDL at all)."""
    from pco_sync import church_db as database

    with fail_fast(), church_db() as conn:
        applied = database.apply_migrations(conn)
    log.info("migrations applied: %s", ", ".join(applied) or "none (up to date)")
    return applied


def extract(resource: str, **context) -> dict:
    """One resource from PCO into staging, if this run reads it."""
    from airflow.sdk.exceptions import AirflowSkipException

    from pco_sync.extract import run as extracts

    run = SyncRun.of(context)
    with fail_fast():
        wanted = run.resources()
    if resource not in wanted:
        raise AirflowSkipException(f"{resource} is not among the resources this run reads "
                                   f"({', '.join(wanted)})")
    with fail_fast(), church_db() as conn:
        read = extracts.plan(conn, resource, run.window_start, run.window_end,
                             full_refresh=run.flag("full_refresh"), manual=run.manual,
                             until=run.started)
        if read is None:
            raise AirflowSkipException(f"{resource}: not due in [{run.window_start}, "
                                       f"{run.window_end}) (read whole on its schedule)")
        log.info("reading %s: %s", resource, read.why if read.whole else
                 f"[{read.start.isoformat()}, {read.end.isoformat()})")
        return extracts.extract_resource(pco_client(), conn, resource, run.run_id, read)


def validate(resource: str, **context) -> dict:
    """Row checks of what this run staged of `resource` (failures quarantined), then its
    batch gates (raise: nothing is merged)."""
    from pco_sync.pco import resources
    from pco_sync.quality.gates import gate
    from pco_sync.quality.validate import validate_resource

    run = SyncRun.of(context)
    with fail_fast(), church_db() as conn:
        results = validate_resource(conn, resource, run.run_id)
        gate(conn, run.run_id, resources.resource(resource).streams,
             full_refresh=run.flag("full_refresh"),
             accept_mass_leaves=run.flag("accept_mass_leaves"),
             accept_quarantine=run.flag("accept_quarantine"))
    return results


def merge(resource: str, **context) -> dict:
    """Merge `resource` with the church's conflict policies (the Variable
    pco_sync_conflict_policy)."""
    from airflow.sdk import Variable

    from pco_sync.merge.run import POLICY_VARIABLE, policy_from_variable
    from pco_sync.merge.run import merge as merge_resource

    run = SyncRun.of(context)
    with fail_fast(), church_db() as conn:
        policy = policy_from_variable(Variable.get(POLICY_VARIABLE, default=None))
        return merge_resource(conn, resource, run.run_id, policy)


def push(name: str, **context) -> dict:
    from airflow.sdk import Variable

    from pco_sync.push import run as pushes
    from pco_sync.push.settings import PushSettings

    run = SyncRun.of(context)
    with fail_fast(), church_db() as conn:
        settings = PushSettings.from_variables(lambda n: Variable.get(n, default=None))
        return pushes.run(conn, pco_client(), name, run.run_id, settings,
                          full_push=run.flag("full_push"), dry_run=run.flag("dry_run"),
                          accept_mass_push=run.flag("accept_mass_push"))


def summarize(extracted: dict, checked: dict, merged: dict, pushed: dict, **context) -> dict:
    """The run's counts, also under summary.XCOM_KEY (what the Sync summary tab reads), and
    what needs a person (found by this run, open now) under summary.OPEN_ITEMS_KEY."""
    from pco_sync import summary

    run = SyncRun.of(context)
    with fail_fast():
        wanted = run.resources()
    not_read = {}
    for resource, result in extracted.items():
        if result is None:
            not_read[resource] = "not due this run" if resource in wanted else "not selected"
        elif result.get("not_read"):
            not_read[resource] = result["not_read"]
    counts = summary.summarize(checked, merged, pushed, not_read)
    print("pco_sync run %s:\n%s" % (run.run_id, summary.table(counts)))
    context["ti"].xcom_push(key=summary.XCOM_KEY, value=counts)
    with fail_fast(), church_db() as conn:
        context["ti"].xcom_push(key=summary.OPEN_ITEMS_KEY,
                                value=summary.open_items(conn, run.run_id))
    return counts
