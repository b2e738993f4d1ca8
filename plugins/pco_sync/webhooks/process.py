"""Drain the inbox: batch after batch of pending deliveries, each read fresh from PCO
(fetch), checked, gated and merged exactly as a 15-minute run's records are, then marked
done in the merges' own transaction.

A batch has a run id of its own (the DAG run's, then "<run id>.2", ".3", ...): staging,
quarantine and the merges key on the run, and a later batch must not read an earlier one's
staged records as its own. A batch that fails leaves every delivery of it pending with the
error, to be tried again after a pause (inbox.failed), and the error goes on up so the
task fails and Airflow retries it: no delivery is ever lost, and none is marked done before
what it asked for is merged.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import psycopg

from pco_sync import church_db, limits, sqlfiles
from pco_sync.merge.run import merge
from pco_sync.pco import resources
from pco_sync.pco.client import PcoClient
from pco_sync.quality.gates import gate
from pco_sync.quality.validate import validate_resource
from pco_sync.webhooks import events, fetch, inbox

log = logging.getLogger(__name__)


@dataclass
class Drained:
    """What a drain did, summed over its batches (the shape summary.summarize takes)."""

    batches: int = 0
    deliveries: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    checked: dict[str, dict] = field(default_factory=dict)  # {resource: {stream: counts}}
    merged: dict[str, dict] = field(default_factory=dict)   # {resource: {row: counts}}
    read: dict[str, dict] = field(default_factory=dict)     # {stream: {records, gone, requests}}

    def add(self, checked: dict, merged: dict, read: dict) -> None:
        for target, source in ((self.checked, checked), (self.merged, merged)):
            for resource, rows in source.items():
                for row, counts in (rows or {}).items():
                    _add_counts(target.setdefault(resource, {}).setdefault(row, {}), counts)
        for stream, counts in read.items():
            _add_counts(self.read.setdefault(stream, {}), counts)

    def as_dict(self) -> dict:
        return {"batches": self.batches, "deliveries": self.deliveries,
                "outcomes": self.outcomes, "read": self.read, "checked": self.checked,
                "merged": self.merged}


def _add_counts(into: dict, counts: dict) -> None:
    for key, value in (counts or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            into[key] = into.get(key, 0) + value


def drain(conn: psycopg.Connection, client: PcoClient, run_id: str, synced, policy=None, *,
          scope: tuple[str, str] | None = None,
          batch_size: int = limits.WEBHOOK_BATCH, max_batches: int = limits.WEBHOOK_MAX_BATCHES,
          **accept: bool) -> Drained:
    """Process pending deliveries until none is due (at most `max_batches` batches: a longer
    backlog is the next run's). synced: the resources this church syncs (a delivery about
    another is done as 'ignored'); policy: the conflict policies of the merges; scope: the
    people scope and what an error calls it (pco_sync.airflow.tasks.people_scope); accept:
    accept_quarantine / accept_mass_leaves, as a manual pco_sync run takes them."""
    drained = Drained()
    for n in range(1, max_batches + 1):
        batch = inbox.claim(conn, batch_size)
        if not batch:
            break
        batch_run = run_id if n == 1 else f"{run_id}.{n}"
        try:
            process_batch(conn, client, batch_run, batch, synced, policy, drained, scope=scope,
                          **accept)
        except Exception as exc:
            log.error("webhook batch %s (%d deliveries) failed; they stay pending and are "
                      "tried again: %s", batch_run, len(batch), describe(exc))
            try:
                conn.rollback()
                inbox.failed(conn, [d.id for d in batch], describe(exc))
            except Exception as also:  # the database itself is down: they stay pending anyway
                log.error("could not record the failure on the deliveries: %s", describe(also))
            raise
        drained.batches += 1
        drained.deliveries += len(batch)
    return drained


def process_batch(conn: psycopg.Connection, client: PcoClient, run_id: str,
                  batch: list[inbox.Claimed], synced, policy, drained: Drained, *,
                  scope: tuple[str, str] | None = None,
                  accept_quarantine: bool = False, accept_mass_leaves: bool = False) -> None:
    wanted, outcomes = plan(conn, batch, synced)
    read: dict[str, dict] = {}
    checked: dict[str, dict] = {}
    merged: dict[str, dict] = {}
    if wanted:
        read = fetch.stage(client, conn, run_id, wanted)
        gone = {(s, p) for s, result in read.items() for p in result.get("gone_ids", ())}
        outcomes = {i: ("gone" if o in gone else "read") if isinstance(o, tuple) else o
                    for i, o in outcomes.items()}
        order = events.merge_order(read)
        for resource in order:
            checked[resource] = validate_resource(conn, resource, run_id)
        gate(conn, run_id, [s for r in order for s in resources.resource(r).streams],
             accept_quarantine=accept_quarantine, accept_mass_leaves=accept_mass_leaves)
    church_db.use_run(conn, run_id)
    with conn.transaction():
        for resource in events.merge_order(read) if wanted else ():
            merged[resource] = merge(conn, resource, run_id, policy, *(scope or ()))
        inbox.done(conn, outcomes)
    for outcome in outcomes.values():
        drained.outcomes[outcome] = drained.outcomes.get(outcome, 0) + 1
    drained.add(checked, merged, read)
    log.info("webhook batch %s: %d deliveries (%s); merged %s", run_id, len(batch),
             _count(outcomes), merged or "nothing")


def plan(conn: psycopg.Connection, batch: list[inbox.Claimed], synced
         ) -> tuple[dict[str, set[str]], dict[int, object]]:
    """What the batch asks to read ({stream: ids}) and each delivery's outcome so far: a
    (stream, id) to read, or why it is not read ('ignored: ...')."""
    wanted: dict[str, set[str]] = {}
    outcomes: dict[int, object] = {}
    unnamed: dict[int, tuple[str, str]] = {}  # contacts whose payload names no person
    for d in batch:
        found = events.target(d.name, d.payload)
        if found is None:
            outcomes[d.id] = "ignored: not an event pco-sync reads"
            continue
        stream, pco_id = found
        if events.MERGED_BY[stream] not in synced:
            outcomes[d.id] = f"ignored: {events.MERGED_BY[stream]} are not synced"
        elif pco_id is None and d.pco_type in events.CONTACT_KINDS and d.pco_id:
            unnamed[d.id] = (events.CONTACT_KINDS[d.pco_type], d.pco_id)
        elif pco_id is None:
            outcomes[d.id] = "ignored: the payload names no record"
        else:
            wanted.setdefault(stream, set()).add(pco_id)
            outcomes[d.id] = (stream, pco_id)
    if unnamed:
        owners = _contact_owners(conn, list(unnamed.values()))
        for did, key in unnamed.items():
            person = owners.get(key)
            if person is None:  # never synced here: nothing local to change
                outcomes[did] = "ignored: contact not known here"
            else:
                wanted.setdefault("people", set()).add(person)
                outcomes[did] = ("people", person)
    return wanted, outcomes


def _contact_owners(conn, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    with conn.transaction():
        rows = conn.execute(sqlfiles.read("webhooks/contact_owners.sql"),
                            {"kinds": [k for k, _ in keys], "ids": [i for _, i in keys]}).fetchall()
    return {(kind, pco_id): person for kind, pco_id, person in rows}


def _count(outcomes: dict) -> str:
    tally: dict[str, int] = {}
    for o in outcomes.values():
        tally[o] = tally.get(o, 0) + 1
    return ", ".join(f"{n} {o}" for o, n in sorted(tally.items()))


def describe(exc: BaseException) -> str:
    """An error as the inbox keeps it: its type and message. Messages here never carry a
    secret: the client's say the endpoint and PCO's words, never the credentials."""
    return f"{type(exc).__name__}: {exc}"[:2000]
