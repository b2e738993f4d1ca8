"""The sync DAG of one church, one per church of churches.yaml (pco_sync.churches): its id,
schedule, pool, Params, tags and docs. The task bodies are pco_sync.airflow.tasks; each
finds its church again from the DAG id at run time.

The churches' DAGs are spread over SHARDS DAG files (dags/pco_sync.py, which also holds the
default church, and dags/pco_sync_shard_<k>.py) by a stable hash of the slug: one parse of
a file builds about 1/SHARDS of the churches, so at 1,000 churches no parse comes near
Airflow's dagbag_import_timeout, and a church never moves to another file.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import ast
from pathlib import Path

from airflow.sdk import (CronDataIntervalTimetable, Param, TaskGroup, chain, dag,
                         get_parsing_context, task)

from pco_sync import churches
from pco_sync.airflow import alerts, tasks
from pco_sync.errors import SettingsError
from pco_sync.pco.resources import RESOURCES
from pco_sync.push.entities import PUSHES
from pco_sync.push.settings import VARIABLES, PushSettings

RESOURCE_NAMES = list(RESOURCES)
DEFAULT_CRON = "*/15 * * * *"
SHARDS = 8  # dags/pco_sync.py (shard 0) and dags/pco_sync_shard_1.py ... _7.py


def build_file(namespace: dict, shard: int, module_doc: str) -> None:
    """The DAGs of one sync DAG file, as module globals (where the DAG processor looks): its
    shard's churches, a broken entry's DAG (it fails at once saying why) for its shard's
    broken entries. A task's process builds only its own DAG."""
    running = get_parsing_context().dag_id
    usable, broken = churches.read()
    for church in usable:
        if churches.shard(church.slug, SHARDS) == shard and running in (None, church.dag_id):
            namespace[church.dag_id] = built(church, module_doc)
    for entry in broken:
        if churches.shard(entry.slug, SHARDS) == shard and running in (None, entry.dag_id):
            namespace[entry.dag_id] = build_broken(entry, module_doc)


def main_doc(dag_file: str) -> str:
    """The docs every sync DAG shows: dags/pco_sync.py's docstring, read beside `dag_file`."""
    return ast.get_docstring(ast.parse(Path(dag_file).with_name("pco_sync.py").read_text(
        encoding="utf-8"))) or ""


@task
def ensure_schema(**context) -> list[str]:
    return tasks.ensure_schema(**context)


@task
def extract(resource: str, **context) -> dict:
    return tasks.extract(resource, **context)


# Runs when its extract was skipped (not due, not in resources), never after a failure.
@task(trigger_rule="none_failed")
def validate(resource: str, **context) -> dict:
    return tasks.validate(resource, **context)


@task
def merge(resource: str, **context) -> dict:
    return tasks.merge(resource, **context)


@task(trigger_rule="none_failed")
def push(name: str, **context) -> dict:
    return tasks.push(name, **context)


@task(retries=0)
def churches_file(error: str) -> None:
    """The broken church's one task: fails at once, saying what to fix."""
    raise churches.ChurchesFileError(f"{error}. Fix this church's entry in "
                                     f"{churches.FILE_NAME}; the other churches run on.")


# After the pushes (which read the latest staged copies it keeps), before the summary that
# counts what it deleted.
@task(trigger_rule="none_failed")
def clean_up(**context) -> dict:
    return tasks.clean_up(**context)


@task(trigger_rule="none_failed")
def summarize(extracted: dict, checked: dict, merged: dict, pushed: dict, cleaned: dict,
              **context) -> dict:
    return tasks.summarize(extracted, checked, merged, pushed, cleaned, **context)


def built(church: churches.Church, module_doc: str):
    """The church's sync DAG, or (its push settings unusable) the broken church's."""
    try:
        return build(church, module_doc)
    except churches.ChurchesFileError as exc:
        return build_broken(churches.BrokenChurch(0, church.slug, str(exc)), module_doc)


def build_broken(broken: churches.BrokenChurch, module_doc: str):
    """A DAG for a churches.yaml entry that cannot be used: on the church's own schedule, one
    task that fails at once naming the church and the field, so its runs show red where an
    operator looks and the failure alert says why (after 4 failed runs Airflow pauses it)."""
    church = broken.as_church()

    @dag(
        dag_id=broken.dag_id,
        doc_md=(f"# This church's entry in {churches.FILE_NAME} cannot be used\n\n"
                f"`{broken.error}`\n\nFix the entry; every other church runs on. What "
                f"the sync does once it is fixed:\n\n{module_doc}"),
        description=broken.error[-250:],
        schedule=CronDataIntervalTimetable(cron(church), timezone="UTC"),
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        on_failure_callback=alerts.on_failure(church),
        max_consecutive_failed_dag_runs=4,
        default_args={"retries": 0, "on_failure_callback": alerts.record_error},
        tags=["pco", "sync", f"church:{church.slug}", "broken"],
    )
    def broken_church():
        churches_file(broken.error)

    return broken_church()


def cron(church: churches.Church) -> str:
    """Every 15 minutes from the church's offset, so many churches do not all start at :00,
    :15, :30 and :45 (the default church keeps */15, as before churches.yaml)."""
    if church.is_default:
        return DEFAULT_CRON
    minutes = range(church.schedule_offset, 60, churches.INTERVAL_MINUTES)
    return f"{','.join(map(str, minutes))} * * * *"


def doc(church: churches.Church, module_doc: str) -> str:
    """The DAG file's docs, and for a church of churches.yaml which church and which of its
    connections, pool and Variables this DAG uses (the docs name the default church's)."""
    if church.is_default:
        return module_doc
    return (f"{module_doc.rstrip()}\n\n## This church\n**{church.name}** (`{church.slug}`): "
            f"connections `{church.pco_conn_id}` and `{church.church_db_conn_id}`, pool "
            f"`{church.pool}`, Variables `<name>__{church.slug}` (e.g. "
            f"`{church.variable(tasks.RESOURCES_VARIABLE)}`; unset: this church's entry in "
            f"churches.yaml). [PCO Sync page](/pco-sync/review/{church.dag_id})\n")  # plugin.review_url


def check(church: churches.Church) -> None:
    """The church's `push:` settings checked when the file is read, not at its first push."""
    where = f"{churches.FILE_NAME}: church {church.slug!r}: push"
    try:
        PushSettings.parse(church.push, {k: f"{where}.{k}" for k in VARIABLES})
    except SettingsError as exc:
        raise churches.ChurchesFileError(str(exc)) from None


def build(church: churches.Church, module_doc: str):
    """The DAG syncing `church`."""
    check(church)
    # PCO's rate limit is per account: the church's PCO calls share its own pool (one slot).
    pool = church.pool
    resources_default = list(church.resources or RESOURCE_NAMES)

    @dag(
        dag_id=church.dag_id,
        doc_md=doc(church, module_doc),
        schedule=CronDataIntervalTimetable(cron(church), timezone="UTC"),
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        # Staff hear of a failed run or a gate stop (pco_sync.airflow.alerts); after 4 failed
        # runs in a row (an hour) Airflow pauses the DAG instead of failing every 15 minutes.
        on_failure_callback=alerts.on_failure(church),
        max_consecutive_failed_dag_runs=4,
        # weight_rule "upstream": a task weighs more the further on it is in its run, so a
        # busy deployment finishes the runs it started before it starts new ones.
        default_args={"retries": 2, "retry_delay": timedelta(minutes=2),
                      "weight_rule": "upstream",
                      "on_failure_callback": alerts.record_error},
        tags=["pco", "sync"] if church.is_default else ["pco", "sync", f"church:{church.slug}"],
        params={
            "full_refresh": Param(False, type="boolean",
                                  description="Pull everything from PCO instead of the data "
                                              "interval."),
            "resources": Param(resources_default, type="array", minItems=1, uniqueItems=True,
                               items={"type": "string", "enum": RESOURCE_NAMES},
                               description="What to read from PCO; the others are skipped."),
            "accept_mass_leaves": Param(False, type="boolean",
                                        description="Let a groups/teams snapshot end more than "
                                                    "20% of current memberships at once."),
            "accept_quarantine": Param(False, type="boolean",
                                       description="Let this run through the quarantine-share "
                                                   "gate after a person checked the "
                                                   "quarantined records."),
            "accept_mass_push": Param(False, type="boolean",
                                      description="Let the push create, change or delete more "
                                                  "records in PCO than its safety gate allows "
                                                  "(after checking a dry run)."),
            "full_push": Param(False, type="boolean",
                               description="Push: retry every failed record now, not after its "
                                           "backoff."),
            "dry_run": Param(False, type="boolean",
                             description="Push: list the requests it would send (task log and "
                                         "XCom) and send nothing to PCO. The pull and the "
                                         "merges still run and write to the church database."),
        },
    )
    def pco_sync():
        schema = ensure_schema()
        with TaskGroup("extract"):
            extracted = {r: extract.override(task_id=r, pool=pool)(r) for r in RESOURCES}
        with TaskGroup("validate"):
            checked = {r: validate.override(task_id=r)(r) for r in RESOURCES}
        with TaskGroup("merge"):
            merged = {r: merge.override(task_id=r)(r) for r in RESOURCES}
        with TaskGroup("push"):
            pushed = {p: push.override(task_id=p, pool=pool)(p) for p in PUSHES}
        for r in RESOURCES:
            chain(schema, extracted[r], checked[r])
        # Merges one after the other in registry order, once every batch passed its gates;
        # then the pushes, in order, once every inbound change is in.
        cleaned = clean_up()
        chain(list(checked.values()), *merged.values(), *pushed.values(), cleaned)
        summarize(extracted, checked, merged, pushed, cleaned)

    return pco_sync()
