"""One PCO stream into pco_staging, streamed: pages come from the client one at a time, at
most BATCH_ROWS records are held in memory, and each batch is COPY'd into a temporary
table and upserted into pco_staging.<stream> with one statement.

Short transactions: the extract first deletes this run's rows of the stream and its record
of having read it (a re-run of the task replaces what it wrote), commits, and then commits
each batch, so no transaction stays open across PCO's pages (an idle transaction would hold
back vacuum on the church's database). Only the last transaction records the read
(pco_staging.extracts): a read killed half-way has no record, so its partial rows are never
checked or merged as a whole read; its re-run clears them. A whole read ends with ANALYZE
of the table. Records read twice (the window overlap, a page boundary that moved, the client
re-windowing before offset 30,000) collapse to one row per (run, id), the newest by
PCO's updated_at.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timezone
from typing import Callable

import psycopg

from pco_sync import church_db, sqlfiles
from pco_sync.progress import Progress
from pco_sync.pco import resources
from pco_sync.pco.client import PcoClient, resolve
from pco_sync.pco.resources import WHOLE, Read

log = logging.getLogger(__name__)

BATCH_ROWS = 200  # two pages of 100


def extract(client: PcoClient, conn: psycopg.Connection, stream: str, run_id: str,
            read: Read = WHOLE, progress: Callable[[dict], None] | None = None) -> dict:
    """Read `stream` from PCO into pco_staging.<stream> under `run_id`, whole or by the
    window of `read` (the registry decides which: pco.resources.Resource.read).

    Returns {stream, mode, records (rows staged), requests (HTTP requests made)}, and for a
    window its window_start and window_end (ISO-8601). progress: called with how far the
    read is (pco_sync.progress) after committed batches, every few seconds, and at the end."""
    spec = resources.stream(stream)
    read = read if spec.windowed else WHOLE  # a stream without a time filter is read whole
    table = sqlfiles.staging_table(stream)
    church_db.use_run(conn, run_id)
    # What this read covers up to: its window's end, or for a whole read the moment it began
    # (a later manual run reads on from there: sync.pulled_until).
    covers_to = read.end or datetime.now(timezone.utc)
    requests_before = client.stats.requests
    read_count = 0
    told = Progress(stream, "records staged", progress)

    with conn.transaction(), conn.cursor() as cur:
        cur.execute(sqlfiles.statement("extract/clear_stream.sql", table=table))
        cur.execute(sqlfiles.read("extract/forget_extract.sql"), {"stream": stream})
        cur.execute(sqlfiles.read("extract/create_batch.sql"))
    batch: list[tuple] = []
    for record, included in client.records(spec.path, spec.params(read)):
        batch.append(staging_row(read_count, record, included, spec.include))
        read_count += 1
        if len(batch) >= BATCH_ROWS:
            commit_batch(conn, batch, table)
            batch = []
            total, pages = _listing(client)
            told.update(read_count, total, stream=stream, pages=pages)
    commit_batch(conn, batch, table)
    with conn.transaction(), conn.cursor() as cur:
        staged = cur.execute(sqlfiles.statement("extract/count_staged.sql", table=table)).fetchone()[0]
        result = {"stream": stream, "mode": read.mode, "records": staged,
                  "requests": client.stats.requests - requests_before}
        cur.execute(sqlfiles.read("extract/record_extract.sql"),
                    {**result, "window_start": read.start, "window_end": covers_to})
        if read.whole:
            cur.execute(sqlfiles.statement("extract/analyze_staged.sql", table=table))
        else:  # what the run's summary says it read (not Airflow's interval)
            result.update(window_start=read.start.isoformat(), window_end=read.end.isoformat())
    total, pages = _listing(client)
    told.finish(staged, total, stream=stream, pages=pages)
    log.info("extracted %s (%s): %d records read, %d staged, %d requests", stream, read.why or
             read.mode, read_count, staged, result["requests"])
    return result


def _listing(client) -> tuple[int | None, int | None]:
    """(PCO's total_count, pages read) of the client's current list; a stand-in client that
    does not keep them reports neither."""
    return getattr(client, "total_count", None), getattr(client, "pages_read", None)


def commit_batch(conn: psycopg.Connection, batch: list[tuple], table) -> None:
    """One batch of staging rows into `table`, committed."""
    if batch:
        with conn.transaction(), conn.cursor() as cur:
            load(cur, batch, table)


def load(cur: psycopg.Cursor, batch: list[tuple], table) -> None:
    """COPY one batch of staging rows in and upsert it into `table` (the batch table of
    extract/create_batch.sql must exist in this transaction)."""
    if not batch:
        return
    with cur.copy(sqlfiles.read("extract/copy_batch.sql")) as copy:
        for row in batch:
            copy.write_row(row)
    cur.execute(sqlfiles.statement("extract/upsert_batch.sql", table=table))
    cur.execute(sqlfiles.read("extract/empty_batch.sql"))


def staging_row(seq: int, record, included: dict, names: tuple[str, ...]) -> tuple:
    """(seq, pco_id, pco_updated_at, record JSON) for one record: the resource as PCO sent it
    plus "included": {name: [the records its relationship `name` points at]}."""
    if not isinstance(record, dict):  # never seen from PCO; keep it whole rather than crash
        record = {"unexpected_record": record}
    doc = {**record, "included": {name: _resolve(record, included, name) for name in names}}
    text = _json(doc)
    rid = record.get("id")
    pco_id = str(rid).strip() if rid is not None and str(rid).strip() else None
    if pco_id is None:
        # No id: keep the row (quality quarantines it) under a stable made-up key, so a
        # re-run stages the same key and the quarantine row matches it.
        pco_id = "missing-id:" + hashlib.sha1(text.encode("utf-8")).hexdigest()
    attributes = record.get("attributes")
    updated = attributes.get("updated_at") if isinstance(attributes, dict) else None
    return seq, pco_id, _timestamp(updated), text


def _resolve(record: dict, included: dict, name: str) -> list[dict]:
    try:
        return resolve(record, included, name)
    except (KeyError, TypeError, AttributeError):  # malformed relationships stay raw in record
        return []


def _timestamp(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None  # a zone-less time would be guessed; leave null


def _json(doc: dict) -> str:
    """JSON text PostgreSQL's jsonb accepts. jsonb refuses NUL (\\u0000) and unpaired
    surrogates, which a hostile or broken record may carry: those characters become U+FFFD
    (the only change made to a payload)."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    if "\\u0000" in text or not _utf8(text):  # rare, so the second pass costs nothing usually
        text = json.dumps(_clean(doc), ensure_ascii=False, separators=(",", ":"))
    return text


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean(value):
    if isinstance(value, str):
        return "".join("\ufffd" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch
                       for ch in value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
