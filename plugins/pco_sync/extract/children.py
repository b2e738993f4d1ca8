"""Groups, calendar and Services teams from PCO into pco_staging: the resources read as
more than one stream (streams.RESOURCES), the per-group lists, and the proof of deletion.

extract_resource() reads a resource's streams in order. A list stream goes through
extract.extract (streaming COPY, one transaction). A per-parent stream (a group's
memberships, a team's assignments) is read once per parent staged in the same run:
each parent's list is held whole (a group's members, not the church's) and staged only
when it read completely, and its outcome goes to pco_staging.fetches, so a group whose read
failed or came back suspiciously empty is never taken for a group everyone left.

After a full snapshot, confirm_absent() GETs each locally linked record the list did not
return: a 404 goes to pco_staging.gone (the merge's only evidence of a deletion); a record
that is there after all is staged (offset paging skipped it).
"""
from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from . import extract as extracts
from . import streams
from .client import PcoClient, PcoError

log = logging.getLogger(__name__)

# Linked local records each snapshot stream must account for (pco_id in the first column).
LINKED = {
    "groups": "SELECT pco_id FROM church.groups WHERE pco_type = 'Group' "
              "AND pco_id IS NOT NULL AND deleted_in_pco_at IS NULL",
    "teams": "SELECT pco_id FROM church.groups WHERE pco_type = 'Team' "
             "AND pco_id IS NOT NULL AND deleted_in_pco_at IS NULL",
    "events": "SELECT pco_id FROM church.events WHERE pco_id IS NOT NULL",
    "event_instances": "SELECT pco_id FROM church.event_occurrences "
                       "WHERE pco_id IS NOT NULL AND removed_in_pco_at IS NULL",
}
CONFIRM_MAX = 100  # GETs per stream and run; more missing records wait for the next snapshot
MIN_SNAPSHOT_SHARE = 0.5  # below it the quality gate stops the run: confirming is wasted
SHORT_SHARE = 0.5  # a list under half of PCO's own count is 'short'
MAX_FAILED_SHARE = 0.5  # more parents failing than this fails the task (PCO is down)

# Per-parent queries: the parents staged in this run, with what PCO says each holds, and
# how many current PCO-backed members each has locally.
PARENTS = {
    "group_memberships": """
        SELECT s.pco_id,
               CASE WHEN jsonb_typeof(s.record -> 'attributes' -> 'memberships_count') = 'number'
                    THEN (s.record -> 'attributes' ->> 'memberships_count')::numeric::int END
        FROM pco_staging.groups s
        WHERE s.run_id = %(run_id)s ORDER BY length(s.pco_id), s.pco_id""",
    "team_assignments": """
        SELECT s.pco_id, NULL::int
        FROM pco_staging.teams s
        WHERE s.run_id = %(run_id)s
          AND s.record -> 'attributes' ->> 'deleted_at' IS NULL
        ORDER BY length(s.pco_id), s.pco_id""",
}
PARENT_KIND = {"group_memberships": ("Group", "Group"), "team_assignments": ("Team", "Team")}

LOCAL_MEMBERS = """
SELECT g.pco_id, count(*)
FROM church.group_memberships m
JOIN church.groups g ON g.id = m.group_id
WHERE g.pco_type = %(kind)s AND m.ended_at IS NULL AND m.pco_id IS NOT NULL
GROUP BY g.pco_id
"""

# The latest earlier read of each parent: an empty list confirmed by two reads is believed.
PREVIOUS = """
SELECT DISTINCT ON (f.parent_pco_id) f.parent_pco_id, f.status, f.records
FROM pco_staging.fetches f
WHERE f.stream = %(stream)s AND f.run_id <> %(run_id)s
ORDER BY f.parent_pco_id, f.fetched_at DESC
"""

RECORD_FETCH = """
INSERT INTO pco_staging.fetches
    (run_id, stream, parent_pco_id, status, records, expected, requests, detail)
VALUES (%(run_id)s, %(stream)s, %(parent)s, %(status)s, %(records)s, %(expected)s,
        %(requests)s, %(detail)s)
"""


def extract_resource(client: PcoClient, conn: psycopg.Connection, resource: str, run_id: str, *,
                     window_start=None, window_end=None, full_refresh: bool = False) -> dict:
    """Every stream of `resource` into staging; {stream: its extract result}."""
    res = streams.resource(resource)
    full = full_refresh or streams.refresh_due(resource, window_start, window_end)
    results = {}
    for name in res.streams:
        spec = streams.get(name)
        if spec.parent:
            results[name] = extract_children(client, conn, name, run_id)
            continue
        results[name] = extracts.extract(
            client, conn, name, run_id, window_start=None if full else window_start,
            window_end=None if full else window_end, full_refresh=full)
        if results[name]["mode"] == "snapshot" and name in LINKED:
            results[name].update(confirm_absent(client, conn, name, run_id))
    return results


def extract_children(client: PcoClient, conn: psycopg.Connection, stream: str,
                     run_id: str) -> dict:
    """The per-parent list `stream` for every parent staged in this run (one transaction)."""
    spec = streams.get(stream)
    table = sql.SQL(spec.table)
    kind, parent_type = PARENT_KIND[stream]
    upsert = sql.SQL(extracts.UPSERT_BATCH).format(table=table,
                                                  batch=sql.Identifier(extracts.BATCH_TABLE))
    requests_before = client.stats.requests
    outcomes: dict[str, int] = {}
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(sql.SQL("DELETE FROM {} WHERE run_id = %s").format(table), (run_id,))
        cur.execute("DELETE FROM pco_staging.fetches WHERE run_id = %s AND stream = %s",
                    (run_id, stream))
        parents = cur.execute(PARENTS[stream], {"run_id": run_id}).fetchall()
        local = dict(cur.execute(LOCAL_MEMBERS, {"kind": kind}).fetchall())
        previous = {p: (status, n) for p, status, n in cur.execute(
            PREVIOUS, {"stream": stream, "run_id": run_id}).fetchall()}
        cur.execute(extracts.CREATE_BATCH)
        for parent, expected in parents:
            before = client.stats.requests
            rows, detail = _read_parent(client, spec, parent, parent_type)
            status = _status(rows, detail, expected, local.get(parent, 0), previous.get(parent))
            if status == "ok":
                extracts._load(cur, rows, upsert, run_id)
            outcomes[status] = outcomes.get(status, 0) + 1
            cur.execute(RECORD_FETCH, {
                "run_id": run_id, "stream": stream, "parent": parent, "status": status,
                "records": len(rows or []), "expected": expected,
                "requests": client.stats.requests - before, "detail": detail})
            if status != "ok":
                log.warning("%s of %s %s not used: %s (%d listed, PCO count %s, %d here)",
                            stream, parent_type, parent, status, len(rows or []), expected,
                            local.get(parent, 0))
        failed = outcomes.get("failed", 0)
        if failed > max(2, MAX_FAILED_SHARE * len(parents)):
            raise PcoError(f"{stream}: the lists of {failed} of {len(parents)} "
                           f"{parent_type.lower()}s could not be read; PCO looks unavailable")
        staged = cur.execute(sql.SQL("SELECT count(*) FROM {} WHERE run_id = %s").format(table),
                             (run_id,)).fetchone()[0]
        result = {"stream": stream, "mode": "snapshot", "records": staged,
                  "requests": client.stats.requests - requests_before}
        cur.execute(extracts.RECORD_EXTRACT, {**result, "run_id": run_id,
                                              "window_start": None, "window_end": None})
    result["parents"] = outcomes
    log.info("extracted %s: %d parents %s, %d records, %d requests", stream, len(parents),
             outcomes, staged, result["requests"])
    return result


def _read_parent(client: PcoClient, spec: streams.Stream, parent: str, parent_type: str):
    """(staging rows, None) for a complete read, (None, why) for a failed one."""
    rows = []
    try:
        for record, included in client.records(spec.path.format(parent=parent),
                                                spec.params(), window_attr=spec.order):
            if isinstance(record, dict):
                record = {**record, "fetched_for": {"type": parent_type, "id": parent}}
            rows.append(extracts.staging_row(len(rows), record, included, spec.include))
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
    if expected and len(rows) < SHORT_SHARE * expected:
        return "short"
    return "ok"


def confirm_absent(client: PcoClient, conn: psycopg.Connection, stream: str,
                   run_id: str) -> dict:
    """GET the linked records this run's snapshot of `stream` lacks: 404s are recorded in
    pco_staging.gone, records that exist after all are staged. {missing, gone, found}."""
    spec = streams.get(stream)
    with conn.transaction():
        conn.execute("DELETE FROM pco_staging.gone WHERE run_id = %s AND stream = %s",
                     (run_id, stream))
        linked = [p for (p,) in conn.execute(LINKED[stream]).fetchall()]
        staged = {p for (p,) in conn.execute(
            sql.SQL("SELECT pco_id FROM {} WHERE run_id = %s").format(sql.SQL(spec.table)),
            (run_id,)).fetchall()}
    missing = sorted((p for p in linked if p not in staged), key=lambda p: (len(p), p))
    result = {"missing": len(missing), "gone": 0, "found": 0}
    if not missing or len(staged) < MIN_SNAPSHOT_SHARE * len(linked):
        return result  # nothing to check, or an outage-shaped list the gate will stop
    gone, found = [], []
    for pco_id in missing[:CONFIRM_MAX]:
        try:
            doc = client.get(f"{spec.path}/{pco_id}",
                             {"include": ",".join(spec.include)} if spec.include else None)
        except PcoError as exc:
            if exc.status == 404:
                gone.append(pco_id)
                continue
            log.warning("could not confirm %s %s is gone (%s); later snapshots will", stream,
                        pco_id, exc)
            break
        included = {(r["type"], r["id"]): r for r in doc.get("included") or []}
        found.append(extracts.staging_row(len(found), doc.get("data"), included, spec.include))
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany("INSERT INTO pco_staging.gone (run_id, stream, pco_id) VALUES (%s, %s, %s)"
                        " ON CONFLICT DO NOTHING", [(run_id, stream, p) for p in gone])
        cur.executemany(sql.SQL("INSERT INTO {} (run_id, pco_id, pco_updated_at, record) "
                                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING").format(
                                    sql.SQL(spec.table)),
                        [(run_id, pid, upd, text) for _, pid, upd, text in found])
    result.update(gone=len(gone), found=len(found))
    log.info("%s: %d linked records missing from the snapshot: %d gone (404), %d there after "
             "all", stream, len(missing), len(gone), len(found))
    return result
