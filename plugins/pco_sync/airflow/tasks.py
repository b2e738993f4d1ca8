"""What each task of the pco_sync DAG does, as plain functions of URLs, clients and ids.

The DAG file only wires these together; tests can call them without Airflow. The other
pco_sync modules are imported inside the functions so that parsing the DAG stays cheap
(great_expectations alone takes seconds to import).
"""
from __future__ import annotations

import json
import logging
from datetime import datetime

log = logging.getLogger(__name__)

STREAMS = ("people", "households")
# Stream -> the church entity its records become; the summary is per entity.
ENTITY_OF_STREAM = {"people": "people", "households": "families",
                    "groups": "groups", "group_memberships": "group_memberships",
                    "teams": "teams", "team_assignments": "team_memberships",
                    "events": "events", "event_instances": "event_occurrences"}
ENTITIES = ("people", "families", "groups", "group_memberships", "teams", "team_memberships",
            "events", "event_occurrences")
# The run summary: row name -> the task whose XCom holds that row's counts, in display order.
# A new merge or push task adds its row here; summarize pulls them all.
SUMMARY_ROWS = {"people": "merge_people", "families": "merge_families",
                # one task each, returning {row: counts} for both of its rows
                "groups": "merge_groups", "group_memberships": "merge_groups",
                "teams": "merge_teams", "team_memberships": "merge_teams",
                "events": "merge_events", "event_occurrences": "merge_events"}
# The pushes' rows (created/updated/unchanged/failed/skipped, requests; memberships: deleted).
SUMMARY_ROWS.update({"push people": "push_people", "push families": "push_families",
                     "push memberships": "push_memberships"})
COUNT_KEYS = ("created", "updated", "unchanged", "quarantined", "needs_review", "conflicts")


def church_db_url_from_airflow(conn_id: str = "church_db") -> str:
    """A psycopg URL for an Airflow postgres connection (socket directories included)."""
    from airflow.sdk import BaseHook

    from pco_sync import devdb

    c = BaseHook.get_connection(conn_id)
    return devdb.airflow_conn_to_url(json.dumps({
        "conn_type": "postgres", "host": c.host, "port": c.port, "login": c.login,
        "password": c.password, "schema": c.schema, "extra": c.extra_dejson,
    }))


def ensure_schema(db_url: str) -> list[str]:
    """Apply the idempotent migrations in include/sql/schema; the names applied."""
    from pco_sync import db

    with db.connect(db_url) as conn:
        applied = db.apply_migrations(conn)
    log.info("schema up to date: %s", ", ".join(applied))
    return applied


def stream_due(stream: str, window_start, window_end, *, full_refresh: bool, manual: bool) -> bool:
    """Whether this run reads `stream` (a resource of the `resources` Param): snapshot-only
    ones (households, groups, teams) on full refreshes, manual runs and the scheduled runs
    holding their boundary (streams.resource_due); windowed ones always."""
    from pco_sync import streams

    return manual or streams.resource_due(stream, window_start, window_end, full_refresh)


def extract_stream(client, db_url: str, stream: str, run_id: str, *,
                   window_start: datetime | None, window_end: datetime | None,
                   full_refresh: bool) -> dict:
    """One stream from PCO into pco_staging.<stream> for this run (see pco_sync.extract).

    A windowed stream whose first full pull was never merged is read whole instead."""
    from pco_sync import db
    from pco_sync.extract import extract

    if stream in GROUP_RESOURCES:
        return extract_resource(client, db_url, stream, run_id, window_start=window_start,
                                window_end=window_end, full_refresh=full_refresh)
    with db.connect(db_url) as conn:
        full_refresh = full_refresh or _first_sync(conn, stream, window_start)
        window = {"window_start": None if full_refresh else window_start,
                  "window_end": None if full_refresh else window_end, "full_refresh": full_refresh}
        result = extract(client, conn, stream, run_id, **window)
        if stream == "people":  # PCO's merge history, which links follow (merge/005)
            result["person_mergers"] = extract(client, conn, "person_mergers", run_id, **window)
        conn.commit()
    log.info("extracted %s: %s", stream, result)
    return result


def _first_sync(conn, stream: str, window_start) -> bool:
    """Whether a windowed read of `stream` must be a whole one: its first full pull was
    never merged into this database (sync.full_syncs)."""
    from pco_sync import db

    if window_start is None:
        return False
    first = conn.execute(db.sql("sync/never_fully_synced.sql"), {"stream": stream}).fetchone()[0]
    if first:
        log.info("%s was never fully synced into this database: reading it whole", stream)
    return first


def _mark_full_syncs(conn, run_id: str, streams: list[str]) -> None:
    """After a merge: the streams this run pulled whole are fully synced (sync.full_syncs)."""
    from pco_sync import db

    conn.execute(db.sql("sync/record_full_syncs.sql"), {"run_id": run_id, "streams": streams})


def validate(db_url: str, run_id: str, streams: list[str], *, full_refresh: bool,
             accept_mass_leaves: bool = False) -> dict:
    """Row checks per stream (failures quarantined), then the batch gate (raises on a bad batch).
    `streams` are resources; groups, events and teams are checked as their staging streams."""
    from pco_sync import db, quality
    from pco_sync import streams as registry

    results = {}
    with db.connect(db_url) as conn:
        for stream in registry.staged_streams(streams):
            results[stream] = quality.validate(conn, stream, run_id)
            conn.commit()  # quarantine rows stay even if the gate then stops the run
            log.info("validated %s: %s", stream, results[stream])
        quality.gate(conn, run_id, full_refresh=full_refresh,
                     accept_mass_leaves=accept_mass_leaves)
    return results


def merge(db_url: str, run_id: str, entity: str) -> dict:
    """merge_people or merge_families for this run's (unquarantined) staging rows."""
    from pco_sync import db
    from pco_sync import merge as merges

    fn = {"people": merges.merge_people, "families": merges.merge_families}[entity]
    with db.connect(db_url) as conn:
        counts = fn(conn, run_id)
        _mark_full_syncs(conn, run_id, [s for s, e in ENTITY_OF_STREAM.items() if e == entity])
        conn.commit()
    log.info("merged %s: %s", entity, counts)
    return counts


# Groups, calendar and Services teams: resources of two streams each (pco_sync.snapshots).
GROUP_RESOURCES = ("groups", "events", "teams")


def extract_resource(client, db_url: str, resource: str, run_id: str, *,
                     window_start: datetime | None, window_end: datetime | None,
                     full_refresh: bool) -> dict:
    """groups, events or teams from PCO into staging: {stream: extract result}. Events are
    read whole on their daily refresh, and until their first full pull was merged."""
    from pco_sync import db, snapshots, streams

    with db.connect(db_url) as conn:
        first = streams.resource(resource).streams[0]
        full_refresh = full_refresh or _first_sync(conn, first, window_start)
        result = snapshots.extract_resource(client, conn, resource, run_id,
                                            window_start=window_start, window_end=window_end,
                                            full_refresh=full_refresh)
        conn.commit()
    log.info("extracted %s: %s", resource, result)
    return result


def merge_resource(db_url: str, run_id: str, resource: str) -> dict:
    """merge_groups, merge_teams or merge_events: {summary row: counts} for both rows."""
    from pco_sync import db
    from pco_sync import merge as merges
    from pco_sync import streams

    fn = {"groups": merges.merge_groups, "teams": merges.merge_teams,
          "events": merges.merge_events}[resource]
    with db.connect(db_url) as conn:
        counts = fn(conn, run_id)
        _mark_full_syncs(conn, run_id, list(streams.resource(resource).streams))
        conn.commit()
    log.info("merged %s: %s", resource, counts)
    return counts


def summarize(quality_results: dict | None, results: dict[str, dict | None]) -> dict:
    """One row of counts per summary row (SUMMARY_ROWS order): {"people": {"created": .., ...}}.

    Inbound rows always carry COUNT_KEYS (zeros when their task was skipped); any other keys
    a task returns (a push's "failed", "skipped") are kept as they come."""
    summary = {}
    for row, counts in results.items():
        if isinstance((counts or {}).get(row), dict):  # a task making several rows
            counts = counts[row]
        given = {k: int(v or 0) for k, v in (counts or {}).items() if isinstance(v, (int, float))}
        summary[row] = {k: given.pop(k, 0) for k in COUNT_KEYS} | given if row in ENTITIES else given
    for stream, result in (quality_results or {}).items():
        entity = ENTITY_OF_STREAM.get(stream, stream)
        row = summary.setdefault(entity, dict.fromkeys(COUNT_KEYS, 0))
        row["quarantined"] = row.get("quarantined", 0) + int((result or {}).get("quarantined") or 0)
    return summary


# Columns in the order a reader scans them; others follow as their tasks return them.
COLUMN_ORDER = (*COUNT_KEYS, "removed", "ended", "waiting", "failed", "skipped", "deleted",
                "not_read", "requests")


def summary_sections(summary: dict) -> list[tuple[str, dict, list[str]]]:
    """The summary as two tables, each with the counts its rows make: ("pulled from PCO",
    {entity: counts}, columns) and ("pushed to PCO", ...) (rows named "push <entity>")."""
    pulled = {e: c for e, c in summary.items() if not e.startswith("push ")}
    pushed = {e.removeprefix("push "): c for e, c in summary.items() if e.startswith("push ")}
    sections = []
    for title, rows, keys in (("pulled from PCO", pulled, list(COUNT_KEYS)),
                              ("pushed to PCO", pushed, [])):
        for counts in rows.values():
            keys += [k for k in counts if k not in keys]
        keys.sort(key=lambda k: COLUMN_ORDER.index(k) if k in COLUMN_ORDER else len(COLUMN_ORDER))
        if rows:
            sections.append((title, rows, keys))
    return sections


def summary_table(summary: dict) -> str:
    """The summary as fixed-width text tables (logs, demo); a blank is a count that row's
    task does not make."""
    out = []
    for title, rows, keys in summary_sections(summary):
        head = [title, *(k.replace("_", " ") for k in keys)]
        body = [[e, *(str(c[k]) if k in c else "" for k in keys)] for e, c in rows.items()]
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        fmt = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w)  # noqa: E731
                                  for i, (c, w) in enumerate(zip(r, widths))).rstrip()
        out += [fmt(head), fmt(["-" * w for w in widths]), *map(fmt, body), ""]
    return "\n".join(out).rstrip()

