"""
# pco_sync_webhooks: a change made in PCO is in the church database within a minute

PCO posts a signed delivery to `/pco-sync/webhooks/<church>` (`default` for the one church
of a deployment without churches.yaml) on the Airflow API server for every change of a kind
it was subscribed to. The receiver checks the signature, keeps the delivery in the church
database's inbox (`sync.webhook_deliveries`) and records an event of this DAG's asset; this
DAG then runs.

## What a run does
**drain** (pool `pco_api`, the 15-minute runs' pool: PCO's rate limit is per account) takes
the pending deliveries in batches. Each record a batch names is read fresh from PCO by id
(a delivery is a hint: what is merged is what PCO says now, so a late, older delivery never
brings older data back), then checked, gated and merged exactly as a 15-minute run's
records, under the same merge lock. A person or household PCO answers 404 for is a
deletion: `sync.removed_in_pco`, nothing local is deleted. The run's **Sync summary** tab
counts what changed, like a sync run's.

A batch that fails (PCO down, a quality gate) leaves its deliveries pending with the error;
they are tried again 30 s later, doubling to an hour, and the task retries. The hourly run
(minute 7) drains anything left. Trigger with `accept_quarantine` or `accept_mass_leaves`
after checking what a gate stopped.

# pco_sync_webhook_subscriptions: PCO's webhook subscriptions for the receiver

Makes, through PCO's Webhooks API, one subscription per event the church needs (people,
emails, phone numbers, addresses, person merges, households; groups and group memberships
when groups are synced) for the receiver's public URL: the Variable `pco_sync_webhook_url`,
else Airflow's `[api] base_url` + `/pco-sync/webhooks/<church>`. Each subscription's
secret is kept in the Variable `pco_sync_webhook_secrets` (masked by Airflow, never
logged). Running it again creates nothing new; it turns back on what PCO turned off after
failed deliveries, and subscribes an event added since. Daily at 04:37 UTC, and by hand.
"""
from __future__ import annotations

from airflow.sdk import get_parsing_context

from pco_sync import churches
from pco_sync.airflow import webhooks_dag
from pco_sync.webhooks import settings

# Two DAGs per church of churches.yaml (without the file: the default church's), module
# globals where the DAG processor looks for them. A task's process builds its own DAG only.
_running = get_parsing_context().dag_id
for _church in churches.load():
    if _running in (None, settings.dag_id(_church)):
        globals()[settings.dag_id(_church)] = webhooks_dag.build(_church, __doc__)
    if _running in (None, settings.subscriptions_dag_id(_church)):
        globals()[settings.subscriptions_dag_id(_church)] = webhooks_dag.build_subscriptions(
            _church, __doc__)
