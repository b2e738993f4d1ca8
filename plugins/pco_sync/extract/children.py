"""Per-parent lists into pco_staging: a group's memberships, a team's assignments.

A per-parent stream is read once per parent staged in the same run. Each parent's list is
held whole (a group's members, not the church's) and staged only when it read completely,
and its outcome goes to pco_staging.fetches, so a group whose read failed or came back
suspiciously empty is never taken for a group everyone left. Each parent's rows and outcome
are committed together, and no transaction is open while PCO is read; the stream's record
(pco_staging.extracts) comes last, so a read killed half-way is never checked or merged.
"""
from __future__ import annotations

import logging
from typing import Callable

import psycopg

from pco_sync import church_db, limits, sqlfiles
from pco_sync.errors import PcoError
from pco_sync.progress import Progress
from pco_sync.extract.staging import load, staging_row
from pco_sync.pco import resources
from pco_sync.pco.client import PcoClient

log = logging.getLogger(__name__)

# stream -> (church.groups.pco_type of its parents, the parent's name in logs)
PARENT_KIND = {"group_memberships": "Group", "team_assignments": "Team"}


def extract_children(client: PcoClient, conn: psycopg.Connection, stream: str,
                     run_id: str, progress: Callable[[dict], None] | None = None) -> dict:
    """The per-parent list `stream` for every parent staged in this run; progress: called
    with how many parents' lists are read (pco_sync.progress), every few seconds."""
    spec = resources.stream(stream)
    table = sqlfiles.staging_table(stream)
    kind = PARENT_KIND[stream]
    church_db.use_run(conn, run_id)
    requests_before = client.stats.requests
    outcomes: dict[str, int] = {}
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(sqlfiles.statement("extract/clear_stream.sql", table=table))
        cur.execute(sqlfiles.read("extract/forget_extract.sql"), {"stream": stream})
        cur.execute(sqlfiles.read("extract/clear_fetches.sql"), {"stream": stream})
        parents = cur.execute(sqlfiles.read(f"extract/parents_{stream}.sql")).fetchall()
        local = dict(cur.execute(sqlfiles.read("extract/local_members.sql"),
                                 {"kind": kind}).fetchall())
        previous = {p: (status, n) for p, status, n in cur.execute(
            sqlfiles.read("extract/previous_fetches.sql"), {"stream": stream}).fetchall()}
        cur.execute(sqlfiles.read("extract/create_batch.sql"))
    told = Progress(stream, f"{kind.lower()}s read", progress)
    records = 0
    for done, (parent, expected) in enumerate(parents):
        told.update(done, len(parents), stream=stream, records=records)
        before = client.stats.requests
        rows, detail = _read_parent(client, spec, parent, kind)
        status = _status(rows, detail, expected, local.get(parent, 0), previous.get(parent))
        outcomes[status] = outcomes.get(status, 0) + 1
        with conn.transaction(), conn.cursor() as cur:
            if status == "ok":
                load(cur, rows, table)
                records += len(rows)
            cur.execute(sqlfiles.read("extract/record_fetch.sql"), {
                "stream": stream, "parent": parent, "status": status,
                "records": len(rows or []), "expected": expected,
                "requests": client.stats.requests - before, "detail": detail})
        if status != "ok":
            log.warning("%s of %s %s not used: %s (%d listed, PCO count %s, %d here)",
                        stream, kind, parent, status, len(rows or []), expected,
                        local.get(parent, 0))
    failed = outcomes.get("failed", 0)
    if failed > max(2, limits.MAX_FAILED_PARENTS_SHARE * len(parents)):
        raise PcoError(f"{stream}: the lists of {failed} of {len(parents)} "
                       f"{kind.lower()}s could not be read; PCO looks unavailable")
    with conn.transaction(), conn.cursor() as cur:
        staged = cur.execute(sqlfiles.statement("extract/count_staged.sql", table=table)).fetchone()[0]
        result = {"stream": stream, "mode": "snapshot", "records": staged,
                  "requests": client.stats.requests - requests_before}
        cur.execute(sqlfiles.read("extract/record_extract.sql"),
                    {**result, "window_start": None, "window_end": None})
        cur.execute(sqlfiles.statement("extract/analyze_staged.sql", table=table))
    result["parents"] = outcomes
    told.finish(len(parents), len(parents), stream=stream, records=staged)
    log.info("extracted %s: %d parents %s, %d records, %d requests", stream, len(parents),
             outcomes, staged, result["requests"])
    return result


def _read_parent(client: PcoClient, spec: resources.Stream, parent: str, kind: str):
    """(staging rows, None) for a complete read, (None, why) for a failed one."""
    rows = []
    try:
        for record, included in client.records(spec.path.format(parent=parent),
                                                spec.params(), window_attr=spec.order):
            if isinstance(record, dict):
                record = {**record, "fetched_for": {"type": kind, "id": parent}}
            rows.append(staging_row(len(rows), record, included, spec.include))
    except PcoError as exc:
        if exc.status in (401, 403):
            raise  # the credentials, not this group: stop the whole extract
        return None, str(exc)[:500]
    return rows, None


def _status(rows, detail, expected: int | None, local: int, previous) -> str:
    if rows is None:
        return "failed"
    if not rows:
        if expected:
            return "empty"  # PCO's own count says there are members
        if local:
            # Everyone left, or a bad answer: believe it when the previous read said so too.
            return "ok" if previous == ("empty", 0) else "empty"
        return "ok"
    if expected and len(rows) < limits.SHORT_LIST_SHARE * expected:
        return "short"
    return "ok"
