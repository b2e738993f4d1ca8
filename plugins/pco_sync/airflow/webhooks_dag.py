"""The webhooks DAGs of one church, as dags/pco_sync_webhooks.py builds them for every church
of churches.yaml (pco_sync.churches):

- pco_sync_webhooks (pco_sync_webhooks__<slug>): scheduled on the asset the receiver
  records an event of when deliveries arrive, and hourly besides (a delivery whose
  processing failed is tried again; an event the API server could not record is made up
  for). One task drains the inbox in the church's PCO pool; its merges take the same lock
  as the 15-minute runs'.
- pco_sync_webhook_subscriptions (pco_sync_webhook_subscriptions__<slug>): makes the PCO
  webhook subscriptions the receiver needs, daily (it turns back on what PCO turned off)
  and when triggered.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import (Asset, AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task)

from pco_sync import churches
from pco_sync.airflow import alerts, webhook_tasks
from pco_sync.webhooks import settings

# Minute 7 of every hour: clear of the 15-minute runs' own start.
CATCH_UP_CRON = "7 * * * *"
SUBSCRIBE_CRON = "37 4 * * *"


@task
def drain(slug: str, **context) -> dict:
    return webhook_tasks.drain(slug, **context)


@task
def subscribe(slug: str, **context) -> dict:
    return webhook_tasks.subscribe(slug, **context)


def build(church: churches.Church, doc_md: str):
    """The church's webhooks DAG."""
    asset = Asset(name=settings.asset_name(church))

    @dag(
        dag_id=settings.dag_id(church),
        doc_md=_doc(church, doc_md),
        schedule=AssetOrTimeSchedule(
            timetable=CronTriggerTimetable(CATCH_UP_CRON, timezone="UTC"), assets=[asset]),
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        on_failure_callback=alerts.on_failure(),
        # A delivery that failed is due again 30 s later (inbox.failed), so is the retry.
        default_args={"retries": 3, "retry_delay": timedelta(seconds=30),
                      "on_failure_callback": alerts.record_error},
        tags=_tags(church, "pco", "sync", "webhooks"),
        params={
            "accept_quarantine": Param(False, type="boolean",
                                       description="Let a batch through the quarantine-share "
                                                   "gate after a person checked it."),
            "accept_mass_leaves": Param(False, type="boolean",
                                        description="Let a group's list end more than 20% of "
                                                    "its memberships at once."),
        },
    )
    def webhooks():
        drain.override(task_id="drain", pool=church.pool)(church.slug)

    return webhooks()


def build_subscriptions(church: churches.Church, doc_md: str):
    """The church's subscriptions DAG."""

    @dag(
        dag_id=settings.subscriptions_dag_id(church),
        doc_md=_doc(church, doc_md),
        schedule=CronTriggerTimetable(SUBSCRIBE_CRON, timezone="UTC"),
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
        tags=_tags(church, "pco", "webhooks"),
    )
    def subscriptions():
        subscribe.override(task_id="subscribe", pool=church.pool)(church.slug)

    return subscriptions()


def _tags(church: churches.Church, *tags: str) -> list[str]:
    """As the sync DAG's: a church of churches.yaml adds church:<slug>."""
    return list(tags) if church.is_default else [*tags, f"church:{church.slug}"]


def _doc(church: churches.Church, doc_md: str) -> str:
    if church.is_default:
        return doc_md
    return (f"{doc_md.rstrip()}\n\n## This church\n**{church.name}** (`{church.slug}`): "
            f"receiver `{settings.receiver_path(church)}`, connections "
            f"`{church.pco_conn_id}` and `{church.church_db_conn_id}`, pool `{church.pool}`, "
            f"Variables `{settings.url_variable(church)}` and "
            f"`{settings.secrets_variable(church)}`.\n")
