"""
# pco_sync: Planning Center Online -> church database, every 15 minutes

Each scheduled run owns its data interval `[data_interval_start, data_interval_end)` (a
15-minute `CronDataIntervalTimetable`, so `airflow backfill create` over a range re-pulls
exactly those windows) and does, in order:

1. **ensure_schema**: applies the idempotent migrations in `include/sql/schema/`.
2. **extract_people**, **extract_households** (pool `pco_api`, one slot: the PCO rate limit
   is per user, so PCO tasks never run side by side): raw JSON:API records into
   `pco_staging.people` / `pco_staging.households`, keyed by (run id, PCO id), so a re-run
   replaces its own rows. People come with their emails, phone numbers and addresses
   (`include=`); the incremental window reaches back a few minutes before the interval start,
   because offset paging is not a snapshot; PCO's merge history (`person_mergers`) is read on
   the same window. A windowed stream never yet pulled whole into this database is pulled
   whole by its next run (the first sync). **Households snapshot on full refresh and every
   6 hours**: adding or removing a member does not bump `updated_at` in PCO, so households
   and their members are read whole rather than by window: on full refreshes, on manual
   runs, and on the scheduled run whose interval contains 00:00, 06:00, 12:00 or 18:00 UTC
   (the other scheduled runs skip `extract_households`).
   **extract_groups**, **extract_teams**, **extract_events** (same pool; `pco_sync.snapshots`):
   groups (archived ones too) with their group types, then each group's memberships; Services
   teams with their positions, then each live team's person-team-position assignments;
   calendar events and event instances. **Groups and teams snapshot every 6 hours**, on the
   scheduled run whose interval holds 00:30, 06:30, 12:30 or 18:30 UTC (and on full refreshes
   and manual runs): groups have no `updated_at` and a leave destroys the membership, so only a
   whole group's list shows joins and leaves, and it costs one request per group; half an hour
   after the households so no run pays for both. Each group's read is recorded
   (`pco_staging.fetches`): a group whose read failed or came back suspiciously empty (PCO's
   own count says otherwise, or members are here and the previous read was not empty too) is
   left untouched. **Events are incremental** on `updated_at` every run, **with a full refresh
   daily** on the run holding 03:00 UTC (PCO misses some calendar edits). A record linked here
   that a full snapshot lacks is fetched by id: only a 404 counts as deleted.
3. **validate**: row checks per stream (failures go to `sync.quarantine` with the check,
   the run id and the raw payload; the rest proceeds), then batch gates that fail the run
   before anything is merged (above all: a full pull returning far fewer people than the
   church has linked; and a groups or teams snapshot that would end more than 20% of current
   memberships at once: if PCO is right, run with `accept_mass_leaves`).
4. **merge_people**, then **merge_families**: set-based SQL from `include/sql/merge/`, one
   transaction each; local edits are kept, conflicts and ambiguous matches are recorded.
   Links follow PCO's person merges; linked people and families a full pull no longer has
   go to `sync.removed_in_pco` (kept locally, never re-created in PCO). Merges take one
   database lock, so backfill runs side by side still merge one at a time.
   Then **merge_groups**, **merge_teams**, **merge_events** (one transaction each, two summary
   rows each): groups under the department "PCO Groups" (a sub-department per group type),
   teams under "PCO Services Teams", archived and deleted ones kept and marked. Memberships
   are diffed against the snapshot: a join adds a row, a leave sets `ended_at` (history
   stays), a team PCO deleted ends its memberships. A membership whose person is not here
   yet waits in `pco_staging.waiting_memberships` and joins on a later run once the person
   is. Events become `church.events` with their occurrences; `church.events.pco_id` is the
   link. **Link a local event** with `SELECT sync.link_event(<church.events.id>,
   '<PCO event id>')` (undo: `sync.unlink_event(id)`; every link and unlink is logged in
   `sync.event_links`): a linked event takes PCO's title, dates and location. An event
   deleted in PCO is unlinked; the local event stays.
5. **push_people**, **push_families**, **push_memberships** (pool `pco_api`): local changes
   to PCO, exactly once (`pco_sync.push`): people PCO lacks are created after a lookup by
   `remote_id` (= the local id), changed fields and contacts are written one by one, families
   become households, group joins and leaves become memberships. The agreed state becomes
   what was written, so the next pull counts it unchanged; PCO refusals go to
   `sync.push_failures` and are retried with backoff without failing the run. Who and what
   is pushed: the `pco_sync_push_*` Variables (`airflow_settings.yaml`).
6. **summarize**: created / updated / unchanged / quarantined / needing review / conflicts /
   removed in PCO per entity (and the pushes' counts): the run's **Sync summary** tab in the
   UI (plugin `pco_sync`), the task's XCom, and a table in its log.

## Backfills
`airflow backfill create --dag-id pco_sync --from-date ... --to-date ...` makes one run per
15-minute interval in the range, each re-pulling exactly its window (a scheduler must run).

## Params (manual runs)
- `full_refresh` (default `false`): pull everything, not just the window.
- `resources` (default: all of `people`, `households`, `groups`, `events`, `teams`): what to
  extract; the others are skipped.
- `accept_mass_leaves` (default `false`): let a groups or teams snapshot end more than 20%
  of current memberships (after checking in PCO that they really left).
- `full_push` (default `false`): the push retries every failed record now, not after its
  backoff.
- `dry_run` (default `false`): the push tasks list the requests they would make (method,
  path, body) in their log and XCom and write nothing to PCO or the database.

## Connections and pool
`pco_default` (type Planning Center: base URL, application id, secret), `church_db`
(postgres), pool `pco_api`; see `airflow_settings.yaml`. A failed task says why in its
error: `QualityGateError` (bad batch, not retried), `PcoError` (PCO refused or kept failing).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, Param, chain, dag, task

STREAMS = ["people", "households", "groups", "events", "teams"]
PCO_CONN_ID = "pco_default"
CHURCH_DB_CONN_ID = "church_db"


def _fail_fast(exc: Exception) -> Exception:
    """Errors a retry cannot fix become AirflowFailException (no retry, same message)."""
    from airflow.sdk.exceptions import AirflowFailException

    from pco_sync.client import PcoError

    try:
        from pco_sync.quality import QualityGateError
    except ImportError:  # quality not importable: let the original error surface
        QualityGateError = ()  # noqa: N806
    permanent = isinstance(exc, QualityGateError) or (
        isinstance(exc, PcoError) and exc.status is not None and 400 <= exc.status < 500
        and exc.status != 429)
    if permanent:
        return AirflowFailException(f"{type(exc).__name__}: {exc}")
    return exc


def _extract(stream: str, **context) -> dict:
    from airflow.sdk.exceptions import AirflowSkipException

    from pco_sync import tasks
    from pco_sync.hooks import PcoHook

    params = context["params"]
    if stream not in params["resources"]:
        raise AirflowSkipException(f"{stream} not in params.resources {params['resources']}")
    manual = context["dag_run"].run_type == "manual"
    start, end, full = context["data_interval_start"], context["data_interval_end"], bool(params["full_refresh"])
    if not tasks.stream_due(stream, start, end, full_refresh=full, manual=manual):
        raise AirflowSkipException(f"{stream} snapshot not due in [{start}, {end}) (every 6 hours)")
    try:
        return tasks.extract_stream(
            PcoHook(PCO_CONN_ID).get_client(), tasks.church_db_url_from_airflow(CHURCH_DB_CONN_ID),
            stream, context["run_id"], window_start=start, window_end=end, full_refresh=full)
    except Exception as exc:
        raise _fail_fast(exc) from exc


def _push(entity: str, **context) -> dict:
    from pco_sync import push_task, tasks
    from pco_sync.hooks import PcoHook

    params = context["params"]
    try:
        return push_task.push(entity, tasks.church_db_url_from_airflow(CHURCH_DB_CONN_ID),
                              PcoHook(PCO_CONN_ID).get_client(), context["run_id"],
                              full_push=bool(params["full_push"]), dry_run=bool(params["dry_run"]))
    except Exception as exc:
        from pco_sync.push_settings import SettingsError

        if isinstance(exc, SettingsError):  # a Variable to fix; retrying will not help
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(str(exc)) from exc
        raise _fail_fast(exc) from exc


@dag(
    dag_id="pco_sync",
    doc_md=__doc__,
    schedule=CronDataIntervalTimetable("*/15 * * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
    tags=["pco", "sync"],
    params={
        "full_refresh": Param(False, type="boolean",
                              description="Pull everything from PCO instead of the data interval."),
        "resources": Param(STREAMS, type="array", minItems=1, uniqueItems=True,
                           items={"type": "string", "enum": STREAMS},
                           description="Streams to extract."),
        "accept_mass_leaves": Param(False, type="boolean",
                                    description="Let a groups/teams snapshot end more than 20% "
                                                "of current memberships at once."),
        "full_push": Param(False, type="boolean",
                           description="Push: retry every failed record now, not after its backoff."),
        "dry_run": Param(False, type="boolean",
                         description="Push: list the requests instead of sending them; "
                                     "writes nothing to PCO or the database."),
    },
)
def pco_sync():
    @task
    def ensure_schema() -> list[str]:
        from pco_sync import tasks

        return tasks.ensure_schema(tasks.church_db_url_from_airflow(CHURCH_DB_CONN_ID))

    @task(pool="pco_api", pool_slots=1)
    def extract_people(**context) -> dict:
        return _extract("people", **context)

    @task(pool="pco_api", pool_slots=1)
    def extract_households(**context) -> dict:
        return _extract("households", **context)

    @task(pool="pco_api", pool_slots=1)
    def extract_groups(**context) -> dict:
        return _extract("groups", **context)

    @task(pool="pco_api", pool_slots=1)
    def extract_teams(**context) -> dict:
        return _extract("teams", **context)

    @task(pool="pco_api", pool_slots=1)
    def extract_events(**context) -> dict:
        return _extract("events", **context)

    # Runs when an extract was skipped (not in resources), never after a failure.
    @task(trigger_rule="none_failed")
    def validate(**context) -> dict:
        from pco_sync import tasks

        params = context["params"]
        try:
            return tasks.validate(tasks.church_db_url_from_airflow(CHURCH_DB_CONN_ID),
                                  context["run_id"], list(params["resources"]),
                                  full_refresh=bool(params["full_refresh"]),
                                  accept_mass_leaves=bool(params.get("accept_mass_leaves")))
        except Exception as exc:
            raise _fail_fast(exc) from exc

    @task
    def merge_people(**context) -> dict:
        from pco_sync import tasks

        return tasks.merge(tasks.church_db_url_from_airflow(CHURCH_DB_CONN_ID), context["run_id"], "people")

    @task
    def merge_families(**context) -> dict:
        from pco_sync import tasks

        return tasks.merge(tasks.church_db_url_from_airflow(CHURCH_DB_CONN_ID), context["run_id"], "families")

    @task
    def merge_groups(**context) -> dict:
        from pco_sync import tasks

        return tasks.merge_resource(tasks.church_db_url_from_airflow(CHURCH_DB_CONN_ID),
                                    context["run_id"], "groups")

    @task
    def merge_teams(**context) -> dict:
        from pco_sync import tasks

        return tasks.merge_resource(tasks.church_db_url_from_airflow(CHURCH_DB_CONN_ID),
                                    context["run_id"], "teams")

    @task
    def merge_events(**context) -> dict:
        from pco_sync import tasks

        return tasks.merge_resource(tasks.church_db_url_from_airflow(CHURCH_DB_CONN_ID),
                                    context["run_id"], "events")

    # Pushes: after every merge, in order; a per-record refusal never fails them.
    @task(pool="pco_api", pool_slots=1, trigger_rule="none_failed")
    def push_people(**context) -> dict:
        return _push("people", **context)

    @task(pool="pco_api", pool_slots=1, trigger_rule="none_failed")
    def push_families(**context) -> dict:
        return _push("families", **context)

    @task(pool="pco_api", pool_slots=1, trigger_rule="none_failed")
    def push_memberships(**context) -> dict:
        return _push("memberships", **context)

    # Counts of every task in tasks.SUMMARY_ROWS (None for a skipped one: zeros).
    @task(trigger_rule="none_failed")
    def summarize(quality_results: dict, **context) -> dict:
        from pco_sync import tasks

        ti = context["ti"]
        summary = tasks.summarize(quality_results, {
            row: ti.xcom_pull(task_ids=task_id) for row, task_id in tasks.SUMMARY_ROWS.items()})
        print("pco_sync run %s:\n%s" % (context["run_id"], tasks.summary_table(summary)))
        return summary

    schema = ensure_schema()
    extracts = [extract_people(), extract_households(), extract_groups(), extract_teams(),
                extract_events()]
    checked = validate()
    people = merge_people()
    families = merge_families()
    summary = summarize(checked)
    chain(schema, extracts, checked, people, families, summary)
    # Groups after people (memberships need them), all inbound merges before the push.
    merged = merge_events()
    chain(families, merge_groups(), merge_teams(), merged)
    chain(merged, push_people(), push_families(), push_memberships(), summary)


pco_sync()
