"""Staff decisions on what needs a person. Each action is one of the SQL functions staff can
also call themselves (include/sql/schema/070, 072); the review page calls them through
act(), for one item or many, all or none, with the Airflow user as the actor.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import psycopg

from pco_sync import sqlfiles
from pco_sync.errors import ReviewError
from pco_sync.review.check_again import check_again, outcome


@dataclass(frozen=True)
class Action:
    label: str             # what the page's button says
    sql: str | None        # the file under include/sql/ that applies it to %(ids)s
    params: tuple = ()     # fixed parameters of the file
    takes: str | None = None  # "value" or "person_id": what the person gives besides ids
    bulk: bool = True      # may apply to many items at once
    confirm: str | None = None  # asked before an action that cannot be undone
    starts_run: bool = False  # "now": the page also starts a sync run when the person may
    run: Callable | None = None  # Python instead of one statement: run(conn, ids, actor)
    tell: Callable | None = None  # what the person is told: tell(conn, log ids) (else "done")


ACTIONS: dict[str, dict[str, Action]] = {
    "conflicts": {
        "local": Action("Keep local", "review/resolve_conflicts.sql",
                        (("choice", "local"), ("value", None))),
        "pco": Action("Take PCO", "review/resolve_conflicts.sql",
                      (("choice", "pco"), ("value", None))),
        "value": Action("Use this value", "review/resolve_conflicts.sql", (("choice", "value"),),
                        takes="value", bulk=False),
    },
    "matches": {
        "link": Action("Link to this person", "review/resolve_matches.sql", takes="person_id",
                       bulk=False),
        "create": Action("Create as a new person", "review/resolve_matches.sql",
                         (("person_id", None),)),
        "ignore": Action("Ignore", "review/ignore_matches.sql"),
    },
    "quarantine": {
        "check": Action("Check again now", None, run=check_again, tell=outcome),
        "dismiss": Action("Dismiss", "review/dismiss_quarantine.sql"),
    },
    "removed": {
        "keep": Action("Keep (local only)", "review/resolve_removed.sql", (("choice", "keep"),)),
        "delete": Action("Delete locally", "review/resolve_removed.sql", (("choice", "delete"),),
                         confirm="Delete these records from the church database?"),
        "recreate": Action("Create again in PCO", "review/resolve_removed.sql",
                           (("choice", "recreate"),)),
    },
    "push_failures": {
        "retry": Action("Retry now", "review/retry_push_failures.sql", starts_run=True),
        "dismiss": Action("Dismiss", "review/dismiss_push_failures.sql"),
    },
}


def act(conn: psycopg.Connection, kind: str, action: str, ids: list[int], actor: str,
        value=None) -> list[int]:
    """Apply `action` to the items `ids` of `kind` as `actor`, all or none: the
    sync.resolution_log ids. ReviewError says what was refused; nothing changed then."""
    chosen = ACTIONS.get(kind, {}).get(action)
    if chosen is None:
        known = ", ".join(f"{k}: {'/'.join(a)}" for k, a in ACTIONS.items())
        raise ReviewError(f"no action {action!r} for {kind!r} (actions: {known})")
    if not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ReviewError("say which items: ids must be a non-empty list of numbers")
    if len(ids) > 1 and not chosen.bulk:
        raise ReviewError(f"{chosen.label!r} applies to one item at a time")
    if not actor:
        raise ReviewError("an action needs the name of the person taking it")
    params = {"ids": list(ids), "actor": actor, **dict(chosen.params)}
    if chosen.takes:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ReviewError(f"{chosen.label!r} needs a {chosen.takes.replace('_', ' ')}")
        params[chosen.takes] = value
    try:
        if chosen.run:
            return chosen.run(conn, list(ids), actor)
        with conn.transaction():
            rows = conn.execute(sqlfiles.read(chosen.sql), params).fetchall()
    except (psycopg.errors.RaiseException, psycopg.errors.DataError,
            psycopg.errors.InvalidParameterValue, psycopg.errors.NoDataFound,
            psycopg.errors.FeatureNotSupported, psycopg.errors.IntegrityError) as exc:
        raise ReviewError(exc.diag.message_primary or str(exc)) from None
    return [r[0] for r in rows]


def told(conn: psycopg.Connection, kind: str, action: str, log_ids: list[int]) -> str:
    """What the page tells the person after `action`: what it found, where that is more
    than "done" (a record checked again may still fail)."""
    chosen = ACTIONS[kind][action]
    if chosen.tell:
        return chosen.tell(conn, log_ids)
    n = len(log_ids)
    return f"{chosen.label}: done for {n} item{'s' if n != 1 else ''}."
