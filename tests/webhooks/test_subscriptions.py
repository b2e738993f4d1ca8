"""The subscriptions command's work against the simulator's Webhooks API: idempotent, turns
back on what PCO turned off, subscribes what was added, skips what PCO does not offer."""
from __future__ import annotations

import logging

import requests

from pco_sync.webhooks import events, subscriptions
from pipeline import client_for

URL = "https://airflow.example.org/pco-sync/webhooks/default"


def listed(sim) -> list[dict]:
    r = requests.get(sim.url + "/webhooks/v2/webhook_subscriptions", auth=sim.auth,
                     params={"per_page": 100}, timeout=10)
    return [d["attributes"] | {"id": d["id"]} for d in r.json()["data"]]


def test_twice_creates_nothing_new_the_second_time(sim, caplog):
    client = client_for(sim)
    names = events.names_for(["people", "households", "groups"])
    first = subscriptions.ensure(client, URL, names)
    assert sorted(first.created) == sorted(names) and not first.kept
    assert len(listed(sim)) == len(names)
    assert set(first.secrets) == set(names)
    assert first.secrets == {s["name"]: s["authenticity_secret"] for s in listed(sim)}

    caplog.set_level(logging.INFO)
    posts = len([r for r in sim.sim.requests if r["method"] == "POST"])
    second = subscriptions.ensure(client, URL, names)
    assert second.created == [] and second.reactivated == []
    assert sorted(second.kept) == sorted(names)
    assert len([r for r in sim.sim.requests if r["method"] == "POST"]) == posts
    assert len(listed(sim)) == len(names)
    assert second.secrets == first.secrets
    assert not any(s in caplog.text for s in first.secrets.values())
    assert not any(s in repr(second) or s in str(second.counts()) for s in first.secrets.values())


def test_only_the_synced_resources_events_and_only_those_pco_offers(sim):
    client = client_for(sim)
    people_only = events.names_for(["people"])
    assert not [n for n in people_only if n.startswith("groups.")]
    done = subscriptions.ensure(client, URL, people_only + ["calendar.v2.events.event.updated"])
    assert done.not_offered == ["calendar.v2.events.event.updated"]
    assert {s["name"] for s in listed(sim)} == set(people_only)
    # groups synced later: their events are added, nothing else is made again
    more = subscriptions.ensure(client, URL, events.names_for(["people", "groups"]))
    assert sorted(more.created) == sorted(n for n in events.EVENTS if n.startswith("groups."))
    assert len(listed(sim)) == len(events.names_for(["people", "groups"]))


def test_a_subscription_pco_turned_off_is_turned_back_on(sim):
    client = client_for(sim)
    names = events.names_for(["people"])
    subscriptions.ensure(client, URL, names)
    off = next(s for s in listed(sim) if s["name"] == names[0])
    sim.store.update("webhook_subscriptions", off["id"], {"active": False}, emit=False)
    done = subscriptions.ensure(client, URL, names)
    assert done.reactivated == [names[0]] and done.created == []
    assert all(s["active"] for s in listed(sim))


def test_other_urls_subscriptions_are_left_alone(sim):
    client = client_for(sim)
    name = events.names_for(["people"])[0]
    other = requests.post(sim.url + "/webhooks/v2/webhook_subscriptions", auth=sim.auth, timeout=10,
                          json={"data": {"attributes": {"name": name,
                                                        "url": "https://elsewhere.example/h"}}})
    assert other.status_code == 201
    done = subscriptions.ensure(client, URL, [name])
    assert done.created == [name]
    assert done.secrets[name] != other.json()["data"]["attributes"]["authenticity_secret"]
    assert len(listed(sim)) == 2


def test_a_church_connected_by_oauth_subscribes_only_within_its_scopes(sim, db, db_url):
    """PCO refuses (422) a subscription outside the connected user's scopes: the events of a
    product the church did not grant are left out and said so, the rest are made as that
    user's subscriptions."""
    from oauth_helpers import client_of, connect

    sim.store.insert("people", {"first_name": "Ada", "last_name": "Admin", "status": "active"},
                     emit=False)
    store, _ = connect(sim, db_url, scope="people")
    client = client_of(sim, store)
    names = events.names_for(["people", "groups"])
    done = subscriptions.ensure(client, URL, names)
    assert sorted(done.not_granted) == sorted(n for n in names if n.startswith("groups."))
    assert sorted(done.created) == sorted(n for n in names if n.startswith("people."))
    refused = [r for r in sim.sim.requests if r["status"] == 422]
    assert refused == []
