"""Read what a batch of deliveries names fresh from PCO, by id, into pco_staging under the
batch's run id: the same staging rows a 15-minute run's extract writes, so the same row
checks and merges take them. A delivery is only a hint: what is merged is what PCO says
now, so an older delivery processed after a newer one can never bring older data back.

- people: GET /people/v2/people/{id} with the person's emails, phone numbers, addresses. A
  404 is a deletion (pco_staging.gone: merge/people/removed.sql), unless PCO merged the
  person away: then the merge record and the kept person are read instead, and the merge
  moves the link (merge/people/follow_pco_merges.sql).
- person_mergers: GET /people/v2/person_mergers/{id}, and the kept person with it.
- households: GET /people/v2/households/{id} with its people; a 404 is a deletion.
- groups: GET /groups/v2/groups/{id} with its group type, then the group's whole member
  list (extract.children: the group's read is recorded, so a failed or empty list is never
  taken for everyone leaving); a 404 marks the group deleted (merge/groups/merge.sql).

Each stream read is recorded in pco_staging.extracts as a 'window' read without a window:
a partial read, so nothing absent from it counts as gone, and neither sync.pulled_until nor
sync.full_syncs moves (the 15-minute runs read on from where they were).
"""
from __future__ import annotations

import logging

import psycopg

from pco_sync import church_db, sqlfiles
from pco_sync.errors import PcoError
from pco_sync.extract.children import extract_children
from pco_sync.extract.staging import load, staging_row
from pco_sync.pco import resources
from pco_sync.pco.client import PcoClient

log = logging.getLogger(__name__)

# Read order: mergers first (they add kept people to read), groups last (their lists follow).
ORDER = ("person_mergers", "people", "households", "groups")


def stage(client: PcoClient, conn: psycopg.Connection, run_id: str,
          wanted: dict[str, set[str]]) -> dict[str, dict]:
    """Read `wanted` ({stream: PCO ids}) into staging under `run_id`:
    {stream: {records, gone, requests, gone_ids}} for every stream read."""
    wanted = {s: set(ids) for s, ids in wanted.items() if ids}
    church_db.use_run(conn, run_id)
    rows: dict[str, list[tuple]] = {}
    gone: dict[str, list[str]] = {}
    requests: dict[str, int] = {}
    before = client.stats.requests
    for stream in ORDER:
        spec = resources.stream(stream)
        params = {"include": ",".join(spec.include)} if spec.include else None
        done: set[str] = set()
        # A worklist: a person merged away adds the kept person while people are read.
        while todo := sorted(wanted.get(stream, set()) - done, key=lambda p: (len(p), p)):
            for pco_id in todo:
                done.add(pco_id)
                start = client.stats.requests
                doc = _get(client, f"{spec.path}/{pco_id}", params)
                if doc is None:
                    if not (stream == "people" and _merged_away(client, pco_id, rows, wanted)):
                        gone.setdefault(stream, []).append(pco_id)
                else:
                    _add(rows, stream, doc.get("data"), doc.get("included"), spec.include)
                    if stream == "person_mergers":
                        _keep(wanted, doc.get("data"))
                requests[stream] = requests.get(stream, 0) + client.stats.requests - start
    results = {s: {"records": len(rows.get(s, ())), "gone": len(gone.get(s, ())),
                   "requests": requests.get(s, 0), "gone_ids": gone.get(s, [])}
               for s in ORDER if s in rows or s in gone or s in requests}
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(sqlfiles.read("extract/create_batch.sql"))
        for stream, result in results.items():
            table = sqlfiles.staging_table(stream)
            cur.execute(sqlfiles.statement("extract/clear_stream.sql", table=table))
            cur.execute(sqlfiles.read("extract/clear_gone.sql"), {"stream": stream})
            load(cur, rows.get(stream, []), table)
            cur.executemany(sqlfiles.read("extract/record_gone.sql"),
                            [(stream, p) for p in gone.get(stream, ())])
            cur.execute(sqlfiles.read("extract/record_extract.sql"), {
                "stream": stream, "mode": "window", "records": result["records"],
                "requests": result["requests"], "window_start": None, "window_end": None})
    if results.get("groups", {}).get("records"):
        results["group_memberships"] = extract_children(client, conn, "group_memberships", run_id)
    log.info("read fresh from PCO for run %s (%d requests): %s", run_id,
             client.stats.requests - before, results)
    return results


def _add(rows: dict, stream: str, record, included, names) -> None:
    by_key = {(r["type"], r["id"]): r for r in included or []}
    rows.setdefault(stream, []).append(
        staging_row(len(rows.get(stream, ())), record, by_key, names))


def _keep(wanted: dict, merger) -> None:
    """A merge record's kept person is read too: the merge links to them."""
    kept = ((merger or {}).get("attributes") or {}).get("person_to_keep_id")
    if kept:
        wanted.setdefault("people", set()).add(str(kept))


def _get(client: PcoClient, path: str, params) -> dict | None:
    """The record, or None when PCO answers 404 (any other refusal is raised)."""
    try:
        return client.get(path, params)
    except PcoError as exc:
        if exc.status == 404:
            return None
        raise


def _merged_away(client: PcoClient, person_id: str, rows: dict, wanted: dict) -> bool:
    """Whether a person PCO answered 404 for was merged into another: then the merge record
    is staged and the kept person read (they are what the merge links to)."""
    spec = resources.stream("person_mergers")
    found = False
    for record, included in client.records(spec.path, {
            "where[person_to_remove_id]": person_id, "order": "created_at"},
            window_attr="created_at"):
        _add(rows, "person_mergers", record, list(included.values()), spec.include)
        _keep(wanted, record)
        found = True
    return found
