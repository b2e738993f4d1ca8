"""Running one entity's push: its steps (plan, send, save) in order, and the counts the run
summary shows: created, updated (deleted for memberships), unchanged, failed, skipped."""
from __future__ import annotations

from typing import Callable

import psycopg

from pco_sync import sqlfiles
from pco_sync.errors import PushGateError
from pco_sync.progress import Progress
from pco_sync.pco.client import PcoClient
from pco_sync.push import gate
from pco_sync.push.ops import Result
from pco_sync.push.sender import Pusher


def run_steps(conn: psycopg.Connection, client: PcoClient | None, run_id: str,
              steps: list[tuple[str, str, bool]], params: dict, *, dry_run: bool = False,
              after_send=None, before: Callable[[], None] | None = None,
              unchanged_sql: str | None = None,
              kinds: dict[tuple[str, str], str] | None = None,
              entities: tuple[str, ...] = (), name: str = "",
              limits: gate.Limits | None = None, accept_mass_push: bool = False,
              progress: Callable[[dict], None] | None = None) -> dict:
    """Plan, send and save each (plan, save, journal) step in order; later steps plan after
    earlier ones saved (contacts see the people just linked). Returns the counts (see
    tally) plus the skip reasons, the requests made and, in a dry run, the operations.
    unchanged_sql (an include/sql file) counts the linked records not touched (param:
    touched ids). Open failures
    and journal rows of `entities` that no plan asked for any more are settled. With
    `limits`, the plans are counted first and a push over them sends nothing
    (PushGateError; a dry run reports it under "gate" instead). progress: called with the
    writes sent of those planned (pco_sync.progress), every few seconds and at the end."""
    told = Progress(f"push {name}".strip(), "writes sent", progress)
    pusher = Pusher(conn, client, run_id, dry_run=dry_run, after_send=after_send,
                    progress=told)
    results, skipped, planned = [], [], []
    stopped = None
    try:
        if before:
            before()
        if limits is not None and not accept_mass_push:
            stopped = _gate(conn, pusher, steps, params, name, unchanged_sql, limits, kinds)
            if stopped and not dry_run:
                raise PushGateError(stopped)
        for plan, save, journal in steps:
            ops, skips = pusher.plan(plan, params)
            planned += [f"{o.entity} {o.key} {o.operation}" for o in ops]
            planned += [f"{s['entity']} {s['key']} {s['operation']}" for s in skips]
            results += pusher.execute(ops, save, journal=journal)
            skipped += skips
        settle(conn, entities, planned)
        pusher.commit()
        counts = tally(results, skipped, kinds)
        if "deleted" not in (kinds or {}).values():
            counts.pop("deleted")
        touched = counts.pop("touched")
        if unchanged_sql:
            counts["unchanged"] = conn.execute(sqlfiles.read(unchanged_sql),
                                               (touched,)).fetchone()[0]
    finally:
        if dry_run:
            conn.rollback()
    reasons: dict[str, int] = {}
    for s in skipped:
        if s["skip"] != "waiting to retry":
            reasons[s["skip"]] = reasons.get(s["skip"], 0) + 1
    counts["skipped_reasons"] = reasons
    counts["requests"] = pusher.requests()
    told.finish(pusher.sent, pusher.planned, requests=counts["requests"])
    if dry_run:
        counts["operations"] = pusher.operations
    if stopped:
        counts["gate"] = stopped
    return counts


def _gate(conn, pusher: Pusher, steps, params: dict, name: str, unchanged_sql: str | None,
          limits: gate.Limits, kinds) -> str | None:
    """The gate's verdict on what the steps plan now (None: within the limits)."""
    ops = [op for plan, _, _ in steps for op in pusher.plan(plan, params)[0]]
    linked = conn.execute(sqlfiles.read(unchanged_sql), ([],)).fetchone()[0] if unchanged_sql else 0
    found = gate.problems(name, ops, linked, limits, kinds)
    return gate.message(found) if found else None


def settle(conn: psycopg.Connection, entities: tuple[str, ...], planned: list[str]) -> None:
    """A failure or journal row whose write no plan wants now (the record was deleted,
    fixed, or linked by the inbound merge) is over: resolve / forget it."""
    if not entities:
        return
    args = {"entities": list(entities), "planned": planned}
    conn.execute(sqlfiles.read("push/settle_failures.sql"), args)
    conn.execute(sqlfiles.read("push/settle_pending.sql"), args)


def tally(results: list[Result], skipped: list[dict],
          kinds: dict[tuple[str, str], str] | None = None) -> dict:
    """Counts per subject (the person, family or membership a write belongs to). A
    successful write counts under kinds[(entity, operation)] (default: "created" for a
    person or family create, else "updated"); a subject with a write PCO refused this run is
    "failed", one whose earlier failure waits for its backoff (nothing sent this run) is
    "waiting_to_retry"; skipped rows count once per subject otherwise."""
    kinds = kinds or {}
    done: dict[str, set] = {"created": set(), "deleted": set(), "updated": set()}
    failed = {r.op.subject for r in results if not r.ok}
    waiting = {s["subject"] for s in skipped if s["skip"] == "waiting to retry"} - failed
    for r in results:
        if r.ok:
            done[gate.kind_of(r.op, kinds)].add(r.op.subject)
    counts = {"failed": len(failed), "waiting_to_retry": len(waiting)}
    seen = failed | waiting
    for key in ("created", "deleted", "updated"):  # one count per subject, in this order
        counts[key] = len(done[key] - seen)
        seen |= done[key]
    counts["skipped"] = len({s["subject"] for s in skipped} - seen)
    counts["touched"] = sorted(x for x in seen if x is not None)
    return counts
