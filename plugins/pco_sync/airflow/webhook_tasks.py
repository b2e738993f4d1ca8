"""The task bodies of the webhooks DAGs (pco_sync.airflow.webhooks_dag): drain a church's
inbox, and make its PCO webhook subscriptions. Each is told its church by slug and uses that
church's connections, pool and Variables only (pco_sync.churches).
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)

# Rows of the summary that no webhook can change: PCO sends none for them.
NO_WEBHOOKS = ("teams", "events")


def church(slug: str):
    from pco_sync import churches

    found = churches.by_slug(slug)
    if found is None:
        raise LookupError(f"no church {slug!r} in this deployment ({churches.path()})")
    return found


def synced(chosen) -> list[str]:
    """What the church syncs: its pco_sync_resources Variable, else its churches.yaml entry,
    else everything (what its scheduled runs read)."""
    from airflow.sdk import Variable

    from pco_sync.airflow.tasks import RESOURCES_VARIABLE
    from pco_sync.pco import resources

    name = chosen.variable(RESOURCES_VARIABLE)
    value = Variable.get(name, default=None)
    if value:
        return resources.names(value, name)
    return list(chosen.resources or resources.RESOURCES)


def drain(slug: str, **context) -> dict:
    """Process the church's pending webhook deliveries; the summary as a sync run's."""
    from airflow.sdk import Variable

    from pco_sync import church_db as database
    from pco_sync import summary
    from pco_sync.airflow.tasks import church_db, fail_fast, pco_client, people_scope
    from pco_sync.merge.run import POLICY_VARIABLE, policy_from_variable
    from pco_sync.pco import resources
    from pco_sync.webhooks import inbox, process

    chosen = church(slug)
    params = context["params"]
    with fail_fast():
        wanted = synced(chosen)
        policy = policy_from_variable(Variable.get(chosen.variable(POLICY_VARIABLE), default=None))
        scope = people_scope(chosen)
    with fail_fast(), church_db(chosen.church_db_conn_id) as conn:
        # The inbox table may be newer than the last sync run of this database.
        database.apply_migrations(conn)
        waiting = inbox.backlog(conn)
        log.info("webhook deliveries waiting: %(waiting)d (oldest %(oldest)s, %(failing)d "
                 "failed before)", waiting)
        drained = process.drain(conn, pco_client(chosen.pco_conn_id, chosen), context["run_id"], wanted,
                                policy, scope=scope,
                                accept_quarantine=bool(params.get("accept_quarantine")),
                                accept_mass_leaves=bool(params.get("accept_mass_leaves")))
        not_read = {r: "PCO sends no webhooks for them" if r in NO_WEBHOOKS
                    else "no delivery about them in this run"
                    for r in resources.RESOURCES if r not in drained.merged}
        counts = summary.summarize(drained.checked, drained.merged, None, not_read)
        print("pco_sync_webhooks run %s: %d deliveries in %d batches (%s)\n%s" % (
            context["run_id"], drained.deliveries, drained.batches, drained.outcomes or "none",
            summary.table(counts)))
        context["ti"].xcom_push(key=summary.XCOM_KEY, value=counts)
        context["ti"].xcom_push(key=summary.OPEN_ITEMS_KEY,
                                value=summary.open_items(conn, context["run_id"]))
        left = inbox.backlog(conn)
    if left["waiting"]:
        log.info("%d deliveries still wait (retried later, or the next run's): %s",
                 left["waiting"], left["last_error"] or "not due yet")
    return drained.as_dict()


def subscribe(slug: str, **context) -> dict:
    """Make the church's PCO webhook subscriptions (pco_sync.webhooks.subscriptions) and keep
    their secrets in its Variable. What is returned, logged and kept as XCom has no secret."""
    from airflow.configuration import conf
    from airflow.sdk import Variable
    from airflow.sdk.log import mask_secret

    from pco_sync.airflow.tasks import fail_fast, pco_client
    from pco_sync.errors import SettingsError
    from pco_sync.webhooks import events, settings, subscriptions

    chosen = church(slug)
    with fail_fast():
        url = settings.receiver_url(chosen, Variable.get(settings.url_variable(chosen), default=None),
                                    conf.get("api", "base_url", fallback=None))
        names = events.names_for(synced(chosen))
        done = subscriptions.ensure(pco_client(chosen.pco_conn_id, chosen), url, names)
    for secret in done.secrets.values():
        mask_secret(secret)
    name = settings.secrets_variable(chosen)
    try:
        stored = settings.parse_secrets(Variable.get(name, default=None), name)
    except SettingsError as exc:
        log.warning("%s; it is rewritten", exc)
        stored = None
    if stored != done.secrets:
        Variable.set(name, settings.dump_secrets(done.secrets),
                     description="PCO webhook subscription secrets by event name (written by "
                                 f"{settings.subscriptions_dag_id(chosen)}; do not edit)")
        log.info("%s updated: the secrets of %d subscriptions", name, len(done.secrets))
    else:
        log.info("%s unchanged (%d subscriptions)", name, len(done.secrets))
    return done.counts()
