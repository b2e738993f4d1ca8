"""The run summary: one row of counts per church entity the merges make (in merge order)
and per push, as the summarize task's XCom, the Sync summary tab and `make demo` show it.
The count keys are defined here once; merges and pushes may add keys of their own.
"""
from __future__ import annotations

import psycopg

from pco_sync import church_db, sqlfiles
from pco_sync.pco import resources

# Every inbound row carries these (zeros when its merge did not run this time).
COUNT_KEYS = ("created", "updated", "unchanged", "quarantined", "needs_review", "conflicts")
# Columns in the order a reader scans them; others follow as their tasks return them.
COLUMN_ORDER = (*COUNT_KEYS, "removed", "ended", "waiting", "failed", "waiting_to_retry",
                "skipped", "deleted", "not_read", "requests")
PUSH_ROW = "push {}"  # the summary row of a push: "push people", ...
CLEAN_ROW = "clean-up"  # what the run's clean-up deleted (pco_sync.retention)
XCOM_KEY = "pco_sync_summary"  # the summarize task pushes the summary under this key too
OPEN_ITEMS_KEY = "pco_sync_open_items"  # ... and what needs a person, under this one
READ_KEY = "pco_sync_read"  # ... and what each resource read from PCO, under this one
PROGRESS_KEY = "pco_sync_progress"  # an extract or push task: how far it is, while it runs
STATUS = "status"  # a row not read this run: {"status": "not read: <why>"}


def summarize(checked: dict | None, merged: dict | None, pushed: dict | None = None,
              not_read: dict[str, str] | None = None, cleaned: dict | None = None) -> dict:
    """{row: counts} from what the tasks returned: checked {resource: {stream: {quarantined,
    ...}}}, merged {resource: {row: counts}}, pushed {push: counts}; None for a task that
    did not run. The rows of a resource in `not_read` ({resource: why}) say so instead of
    counting zeros, which would read as "read, nothing changed". cleaned: the clean-up's
    rows deleted per kind, or {"error": why} when it could not finish."""
    summary = {row: dict.fromkeys(COUNT_KEYS, 0) for row in resources.entity_rows()}
    for rows in (merged or {}).values():
        for row, counts in (rows or {}).items():
            summary.setdefault(row, dict.fromkeys(COUNT_KEYS, 0)).update(_numbers(counts))
    for streams in (checked or {}).values():
        for stream, result in (streams or {}).items():
            row = summary[resources.stream(stream).entity]
            row["quarantined"] += int((result or {}).get("quarantined") or 0)
    for name, counts in (pushed or {}).items():
        summary[PUSH_ROW.format(name)] = _numbers(counts)
    for resource, why in (not_read or {}).items():
        for row in resources.resource(resource).rows:
            summary[row] = {STATUS: f"not read: {why}"}
    if cleaned is not None:
        summary[CLEAN_ROW] = ({STATUS: f"not finished: {cleaned['error']}"} if cleaned.get("error")
                              else _numbers(cleaned))
    return summary


def reads(extracted: dict, not_read: dict[str, str]) -> dict[str, str]:
    """What each resource read from PCO, said as a person would: "whole", "changes from
    <start> to <end>" (the window its extract read, which for a manual run is not Airflow's
    data interval), or "not read: <why>"."""
    out = {}
    for resource, result in extracted.items():
        if resource in not_read:
            out[resource] = f"not read: {not_read[resource]}"
            continue
        windows = {(r["window_start"], r["window_end"]) for r in (result or {}).values()
                   if isinstance(r, dict) and r.get("window_start")}
        if windows:
            start, end = min(w[0] for w in windows), max(w[1] for w in windows)
            out[resource] = f"changes from {_when(start)} to {_when(end)}"
        else:
            out[resource] = "whole"
    return out


def _when(iso: str) -> str:
    return iso.replace("T", " ")[:19] + " UTC" if iso.endswith(("+00:00", "Z")) else iso


def open_items(conn: psycopg.Connection, run_id: str) -> list[dict]:
    """What needs a person, per kind: {kind, this_run, open_now}."""
    church_db.use_run(conn, run_id)
    with conn.transaction():
        rows = conn.execute(sqlfiles.read("sync/open_items.sql")).fetchall()
    return [{"kind": kind, "this_run": int(new), "open_now": int(total)}
            for kind, new, total in rows]


def _numbers(counts: dict | None) -> dict:
    return {k: int(v or 0) for k, v in (counts or {}).items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


def sections(summary: dict) -> list[tuple[str, dict, list[str]]]:
    """The summary as tables, each with the counts its rows make: ("pulled from PCO",
    {entity: counts}, columns), ("pushed to PCO", ...) (rows named "push <entity>") and, once
    a run cleaned up, ("cleaned up", {"clean-up": rows deleted per kind}, ...)."""
    prefix = PUSH_ROW.format("")
    pulled = {e: c for e, c in summary.items() if not e.startswith(prefix) and e != CLEAN_ROW}
    pushed = {e.removeprefix(prefix): c for e, c in summary.items() if e.startswith(prefix)}
    cleaned = {e: c for e, c in summary.items() if e == CLEAN_ROW}
    out = []
    for title, rows, keys in (("pulled from PCO", pulled, list(COUNT_KEYS)),
                              ("pushed to PCO", pushed, []), ("cleaned up", cleaned, [])):
        for counts in rows.values():
            keys += [k for k in counts if k not in keys and k != STATUS]
        keys.sort(key=lambda k: COLUMN_ORDER.index(k) if k in COLUMN_ORDER else len(COLUMN_ORDER))
        if rows:
            out.append((title, rows, keys))
    return out


def table(summary: dict) -> str:
    """The summary as fixed-width text tables (logs, demo); a blank is a count that row's
    task does not make. Entities and counts in words, as the Sync summary tab has them."""
    out = []
    for title, rows, keys in sections(summary):
        rows = {e.replace("_", " "): c for e, c in rows.items()}
        head = [title, *(k.replace("_", " ") for k in keys)]
        body = [[e, *(str(c[k]) if k in c else "" for k in keys)]
                for e, c in rows.items() if STATUS not in c]
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        widths[0] = max([widths[0], *map(len, rows)])
        fmt = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w)  # noqa: E731
                                  for i, (c, w) in enumerate(zip(r, widths))).rstrip()
        lines = [fmt([e, *(str(c[k]) if k in c else "" for k in keys)]) if STATUS not in c
                 else f"{e.ljust(widths[0])}  {c[STATUS]}" for e, c in rows.items()]
        out += [fmt(head), fmt(["-" * w for w in widths]), *lines, ""]
    return "\n".join(out).rstrip()
