"""The task bodies of the pco_sync DAGs. Each turns Airflow's context into one call of a step
(pco_sync.extract, quality, merge, push) with the run's connections (PCO through PcoHook, the
church database through PostgresHook), and turns errors a retry cannot fix (a quality gate,
a setting to correct, PCO refusing the request) into failures without retries.

Every DAG syncs one church (pco_sync.churches): a task finds its church from its DAG id, and
uses only that church's connections and Variables, so no run can reach another church's PCO
account or database.

Steps are imported inside the functions: the DAG file imports this module at parse time,
and Great Expectations alone takes seconds to import.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

log = logging.getLogger(__name__)

# The resources scheduled runs read (a JSON list); unset: the church's `resources` in
# churches.yaml, else all. A church without Services sets it without touching code. Manual
# runs use their `resources` Param.
RESOURCES_VARIABLE = "pco_sync_resources"
# Seconds (defaults in pco_sync.limits): the longest statement of a task, and how long a
# migration waits for a table lock before it fails naming the session in its way.
STATEMENT_TIMEOUT_VARIABLE = "pco_sync_statement_timeout"
LOCK_TIMEOUT_VARIABLE = "pco_sync_lock_timeout"


@dataclass(frozen=True)
class SyncRun:
    """What a task needs to know of its DAG run."""

    run_id: str
    church: object  # pco_sync.churches.Church: whose connections and Variables the run uses
    window_start: object  # the data interval; None for a run that has none
    window_end: object
    manual: bool
    started: datetime  # when the run started: a manual run reads up to here
    params: dict

    @classmethod
    def of(cls, context) -> "SyncRun":
        dag_run = context["dag_run"]
        started = getattr(dag_run, "start_date", None) or datetime.now(timezone.utc)
        with fail_fast():  # a church gone from churches.yaml, or a broken file: no retry helps
            church = church_of(dag_run.dag_id)
        return cls(context["run_id"], church, context.get("data_interval_start"),
                   context.get("data_interval_end"), dag_run.run_type == "manual",
                   started, dict(context["params"]))

    def flag(self, name: str) -> bool:
        return bool(self.params.get(name))

    def resources(self) -> list[str]:
        """What this run reads: a manual run's `resources` Param, else the church's Variable,
        else its `resources` in churches.yaml, else all."""
        from pco_sync.pco import resources

        if self.manual:
            return resources.names(self.params.get("resources") or list(resources.RESOURCES),
                                   "the resources Param")
        name = self.church.variable(RESOURCES_VARIABLE)
        value = variable(name)
        if value:
            return resources.names(value, name)
        return list(self.church.resources or resources.RESOURCES)

    def church_db(self):
        """The church database, every statement under the church's statement timeout."""
        from pco_sync import limits

        return church_db(self.church.church_db_conn_id,
                         self.seconds(STATEMENT_TIMEOUT_VARIABLE, limits.STATEMENT_TIMEOUT))

    def seconds(self, name: str, default: float) -> float:
        """The church's Variable `name` as seconds (unset: `default`); SettingsError names
        the Variable and the value."""
        from pco_sync.errors import SettingsError

        name = self.church.variable(name)
        raw = variable(name)
        if raw is None or not str(raw).strip():
            return default
        try:
            value = float(str(raw).strip())
        except ValueError:
            value = -1
        if value < 0:
            raise SettingsError(f"{name} must be a number of seconds (0: no limit), not {raw!r}")
        return value

    def pco_client(self):
        return pco_client(self.church.pco_conn_id, self.church)


def church_of(dag_id: str):
    """The church a sync DAG syncs (pco_sync.churches.Church); UnknownChurch (a LookupError)
    for any other DAG (a church removed from churches.yaml while its run was queued, say)."""
    from pco_sync import churches
    from pco_sync.errors import UnknownChurch

    church = churches.by_dag_id(dag_id)
    if church is None:
        raise UnknownChurch(f"{dag_id} is not the DAG of a church of this deployment "
                            f"({churches.path()})")
    return church


def church_db_conn_id(dag_id: str) -> str:
    """The church database connection of a sync DAG (its church's, from churches.yaml)."""
    return church_of(dag_id).church_db_conn_id


def variable(name: str):
    """The Variable's value, None when unset."""
    from airflow.sdk import Variable

    return Variable.get(name, default=None)


def church_db(conn_id: str, statement_timeout: float | None = None):
    """A psycopg connection to a church database (its Airflow connection), its statements
    under `statement_timeout` seconds (None: pco_sync.limits' default; 0: none)."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from pco_sync import church_db as database
    from pco_sync import limits

    conn = PostgresHook(postgres_conn_id=conn_id).get_conn()
    try:
        database.set_timeouts(conn, limits.STATEMENT_TIMEOUT if statement_timeout is None
                              else statement_timeout)
    except BaseException:
        conn.close()
        raise
    return conn


def pco_client(conn_id: str, church=None):
    """church: whose OAuth tokens (a connection in OAuth mode signs in as that church)."""
    from pco_sync.airflow.hooks import PcoHook

    return PcoHook(conn_id, church).get_client()


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


def ensure_schema(**context) -> list[str]:
    """Apply the migrations this database lacks (none: no DDL at all)."""
    from pco_sync import church_db as database

    from pco_sync import limits

    run = SyncRun.of(context)
    with fail_fast(), run.church_db() as conn:
        applied = database.apply_migrations(
            conn, run.seconds(LOCK_TIMEOUT_VARIABLE, limits.LOCK_TIMEOUT))
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
    with fail_fast(), run.church_db() as conn:
        read = extracts.plan(conn, resource, run.window_start, run.window_end,
                             full_refresh=run.flag("full_refresh"), manual=run.manual,
                             until=run.started)
        if read is None:
            raise AirflowSkipException(f"{resource}: not due in [{run.window_start}, "
                                       f"{run.window_end}) (read whole on its schedule)")
        log.info("reading %s: %s", resource, read.why if read.whole else
                 f"[{read.start.isoformat()}, {read.end.isoformat()})")
        return extracts.extract_resource(run.pco_client(), conn, resource, run.run_id, read,
                                         progress=progress(context))


def validate(resource: str, **context) -> dict:
    """Row checks of what this run staged of `resource` (failures quarantined), then its
    batch gates (raise: nothing is merged)."""
    from pco_sync.pco import resources
    from pco_sync.quality.gates import gate
    from pco_sync.quality.validate import validate_resource

    run = SyncRun.of(context)
    with fail_fast(), run.church_db() as conn:
        results = validate_resource(conn, resource, run.run_id, progress(context))
        gate(conn, run.run_id, resources.resource(resource).streams,
             full_refresh=run.flag("full_refresh"),
             accept_mass_leaves=run.flag("accept_mass_leaves"),
             accept_quarantine=run.flag("accept_quarantine"))
    return results


def merge(resource: str, **context) -> dict:
    """Merge `resource` with the church's conflict policies (its Variable
    pco_sync_conflict_policy) and people scope (pco_sync_people_scope)."""
    from pco_sync.merge.run import POLICY_VARIABLE, policy_from_variable
    from pco_sync.merge.run import merge as merge_resource

    run = SyncRun.of(context)
    with fail_fast(), run.church_db() as conn:
        policy = policy_from_variable(variable(run.church.variable(POLICY_VARIABLE)))
        scope, setting = people_scope(run.church)
        return merge_resource(conn, resource, run.run_id, policy, scope, setting,
                              progress(context))


def people_scope(church) -> tuple[str, str]:
    """The church's people scope and what an error calls it: its Variable
    pco_sync_people_scope, unset: its `people_scope` in churches.yaml (checked when the file
    was read), else all. SettingsError names the Variable."""
    from pco_sync import churches
    from pco_sync.pco import scope

    name = church.variable(scope.VARIABLE)
    raw = variable(name)
    if raw is None and church.people_scope is not None:
        return church.people_scope, (f"{churches.FILE_NAME}: church {church.slug!r}: "
                                     f"{scope.FIELD}")
    return scope.people_scope(raw, name), name


def push(name: str, **context) -> dict:
    from pco_sync.push import run as pushes

    run = SyncRun.of(context)
    with fail_fast(), run.church_db() as conn:
        settings = push_settings(run.church)
        return pushes.run(conn, run.pco_client(), name, run.run_id, settings,
                          full_push=run.flag("full_push"), dry_run=run.flag("dry_run"),
                          accept_mass_push=run.flag("accept_mass_push"),
                          progress=progress(context))


def progress(context):
    """The callback a long step reports how far it is with: an XCom under
    summary.PROGRESS_KEY, which the Sync summary tab shows while the run is in progress (the
    Task SDK sends an XCom to the metadata database as it is pushed, not when the task ends)."""
    from pco_sync import summary

    ti = context["ti"]

    def report(figures: dict) -> None:
        try:
            ti.xcom_push(key=summary.PROGRESS_KEY, value=figures)
        except Exception as exc:  # noqa: BLE001 - watching a run must never fail it
            log.warning("progress not recorded: %s", exc)

    return report


def push_settings(church):
    """The church's push settings: its pco_sync_push_* Variables, each unset one from its
    `push:` in churches.yaml, else the default."""
    from pco_sync.push.settings import VARIABLES, PushSettings

    names = {key: church.variable(name) for key, name in VARIABLES.items()}
    return PushSettings.from_variables(variable, names, church.push)


def clean_up(**context) -> dict:
    """The run's clean-up (pco_sync.retention) with the church's Variables
    pco_sync_staging_keep_runs and pco_sync_retention_days. Housekeeping never fails a sync:
    what stopped it (a bad Variable, a timeout) is in the log and the summary, and the next
    run cleans up again."""
    import psycopg

    from pco_sync.errors import SettingsError
    from pco_sync.retention.clean import (KEEP_DAYS_VARIABLE, KEEP_RUNS_VARIABLE, Retention,
                                          clean)

    run = SyncRun.of(context)
    names = (run.church.variable(KEEP_RUNS_VARIABLE), run.church.variable(KEEP_DAYS_VARIABLE))
    try:
        retention = Retention.parse(variable(names[0]), variable(names[1]), names)
        with run.church_db() as conn:
            return clean(conn, run.run_id, retention)
    except (SettingsError, psycopg.Error) as exc:
        log.warning("clean-up not finished: %s", exc)
        return {"error": f"{type(exc).__name__}: {exc}".strip()[:500]}


def summarize(extracted: dict, checked: dict, merged: dict, pushed: dict,
              cleaned: dict | None = None, **context) -> dict:
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
    counts = summary.summarize(checked, merged, pushed, not_read, cleaned)
    print("pco_sync run %s:\n%s" % (run.run_id, summary.table(counts)))
    context["ti"].xcom_push(key=summary.XCOM_KEY, value=counts)
    context["ti"].xcom_push(key=summary.READ_KEY, value=summary.reads(extracted, not_read))
    with fail_fast(), run.church_db() as conn:
        context["ti"].xcom_push(key=summary.OPEN_ITEMS_KEY,
                                value=summary.open_items(conn, run.run_id))
    return counts
