"""PCO webhooks: a change made in PCO reaches the church database within a minute.

PCO POSTs a signed delivery to the receiver (pco_sync.airflow.webhooks_api) for every
change of a subscribed kind. The receiver checks the signature (verify), stores the delivery
(inbox) and records an Airflow asset event; the church's pco_sync_webhooks DAG, scheduled on
that asset, drains the inbox (process): each changed record is read fresh from PCO by id
(fetch) and goes through the same row checks, gates and merges as the 15-minute runs, under
their merge lock and in their PCO pool. The subscriptions the receiver needs are made
through PCO's Webhooks API (subscriptions), their secrets kept in an Airflow Variable
(settings). The 15-minute runs stay the source of truth: they catch anything missed.
"""
