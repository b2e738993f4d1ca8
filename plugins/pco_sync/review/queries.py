"""What needs a person, read for the review page: open items per kind, newest first, and the
history of staff decisions. Plain dicts from the SQL files of include/sql/review/."""
from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from pco_sync import sqlfiles, summary

LIMIT = 500  # rows per kind on one page; the counts say how many there are in all

# The kinds of open items, in the page's order: (key, label, SQL file).
KINDS = (
    ("conflicts", "Conflicts", "review/conflicts.sql"),
    ("matches", "Match reviews", "review/match_reviews.sql"),
    ("quarantine", "Quarantined records", "review/quarantine.sql"),
    ("removed", "Removed in PCO", "review/removed.sql"),
    ("push_failures", "Push failures", "review/push_failures.sql"),
    ("waiting", "Memberships waiting for a person", "review/waiting_memberships.sql"),
)
# summary.open_items' kind names, mapped to the page's keys (one count query for both).
COUNT_KINDS = {"conflicts": "conflicts", "match reviews": "matches",
               "quarantined records": "quarantine", "removed in PCO": "removed",
               "push failures": "push_failures",
               "memberships waiting for their person": "waiting"}
FILTERS = {"conflicts": ("entity", "field", "search"), "quarantine": ("stream",)}


def counts(conn: psycopg.Connection) -> dict[str, int]:
    """Open items per kind, across all runs."""
    return {COUNT_KINDS[i["kind"]]: i["open_now"] for i in summary.open_items(conn, "")}


def items(conn: psycopg.Connection, kind: str, limit: int = LIMIT, **filters) -> list[dict]:
    """The open items of `kind` (a key of KINDS), newest first; filters of FILTERS[kind]
    (None or blank: any)."""
    files = {key: name for key, _, name in KINDS}
    if kind not in files:
        raise ValueError(f"unknown kind {kind!r} (kinds: {', '.join(files)})")
    unknown = set(filters) - set(FILTERS.get(kind, ()))
    if unknown:
        raise ValueError(f"{kind} cannot be filtered by {', '.join(sorted(unknown))}")
    params = {name: (filters.get(name) or None) for name in FILTERS.get(kind, ())}
    params["limit"] = limit
    return _rows(conn, files[kind], params)


def history(conn: psycopg.Connection, entity: str | None = None, local_id: int | None = None,
            pco_id: str | None = None, limit: int = LIMIT) -> list[dict]:
    """Staff decisions, newest first: of one record, or all of them."""
    return _rows(conn, "review/history.sql", {"entity": entity, "local_id": local_id,
                                              "pco_id": pco_id, "limit": limit})


def _rows(conn: psycopg.Connection, name: str, params: dict) -> list[dict]:
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sqlfiles.read(name), params).fetchall()
