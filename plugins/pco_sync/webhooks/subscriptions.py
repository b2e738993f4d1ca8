"""The PCO webhook subscriptions a church's receiver needs, made through PCO's Webhooks API
(/webhooks/v2/webhook_subscriptions), idempotently: one subscription per event name for
the receiver's URL. Run again, it creates nothing that exists, turns back on a subscription
PCO turned off (PCO deactivates one after days of failed deliveries, or on a 410), and
subscribes an event added to the wanted list since. An event PCO does not offer
(/webhooks/v2/available_events) is skipped and said so, and so is one outside the scopes a
church connected by OAuth granted (PCO refuses it: subscriptions are per connected user).

Each subscription has its own authenticity secret, which PCO shows on the subscription: the
result holds those of every subscription to the URL, for the caller to store (an Airflow
Variable); they are never logged.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pco_sync.pco.client import PcoClient

log = logging.getLogger(__name__)

SUBSCRIPTIONS = "/webhooks/v2/webhook_subscriptions"
AVAILABLE = "/webhooks/v2/available_events"
TYPE = "WebhookSubscription"


@dataclass
class Subscribed:
    url: str
    created: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    not_offered: list[str] = field(default_factory=list)
    not_granted: list[str] = field(default_factory=list)  # outside the church's OAuth scopes
    secrets: dict[str, str] = field(default_factory=dict, repr=False)  # never printed

    def counts(self) -> dict:
        """What the run did, without the secrets (the task's XCom and log)."""
        return {"url": self.url, "created": self.created, "reactivated": self.reactivated,
                "kept": len(self.kept), "not_offered": self.not_offered,
                "not_granted": self.not_granted}


def ensure(client: PcoClient, url: str, names: list[str]) -> Subscribed:
    """Make sure PCO posts every event of `names` to `url`; the secrets of all of them."""
    offered = {(rec.get("attributes") or {}).get("name")
               for rec, _ in client.records(AVAILABLE, {}, window_attr="")}
    mine: dict[str, dict] = {}
    for rec, _ in client.records(SUBSCRIPTIONS, {}, window_attr=""):
        attrs = rec.get("attributes") or {}
        if attrs.get("url") == url and attrs.get("name"):
            # Two for one event (made by hand): prefer an active one.
            if attrs["name"] not in mine or attrs.get("active"):
                mine[attrs["name"]] = rec
    done = Subscribed(url)
    for name in names:
        if not client.granted(name):  # PCO refuses it (422): the church did not grant it
            done.not_granted.append(name)
            continue
        if name not in offered:
            done.not_offered.append(name)
            continue
        rec = mine.get(name)
        if rec is None:
            rec = client.post(SUBSCRIPTIONS, {"data": {"type": TYPE, "attributes": {
                "name": name, "url": url, "active": True}}})["data"]
            done.created.append(name)
        elif not (rec.get("attributes") or {}).get("active"):
            rec = client.patch(f"{SUBSCRIPTIONS}/{rec['id']}", {"data": {
                "type": TYPE, "id": rec["id"], "attributes": {"active": True}}})["data"] or rec
            done.reactivated.append(name)
        else:
            done.kept.append(name)
        mine[name] = rec
    # Every subscription to this URL signs what it sends, the ones made by hand or for an
    # event no longer wanted too: their deliveries are accepted (and ignored), not refused.
    for name, rec in mine.items():
        secret = (rec.get("attributes") or {}).get("authenticity_secret")
        if secret:
            done.secrets[name] = secret
    log.info("webhook subscriptions for %s: %d created (%s), %d turned back on (%s), %d kept; "
             "not offered by PCO: %s; not granted: %s", url, len(done.created),
             ", ".join(done.created) or "-", len(done.reactivated), ", ".join(done.reactivated) or "-", len(done.kept),
             ", ".join(done.not_offered) or "none", ", ".join(done.not_granted) or "none")
    return done
