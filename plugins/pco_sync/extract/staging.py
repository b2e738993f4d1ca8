"""One PCO stream into pco_staging, streamed: pages come from the client one at a time, at
most BATCH_ROWS records are held in memory, and each batch is COPY'd into a temporary
table and upserted into pco_staging.<stream> with one statement.

The whole extract is one transaction: it first deletes this run's rows of the stream, so a
re-run of the task replaces what it wrote; a failed extract leaves the previous rows as
they were. Records read twice (the window overlap, a page boundary that moved, the client
re-windowing before offset 30,000) collapse to one row per (run, id), the newest by
PCO's updated_at.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime

import psycopg
from psycopg import sql

from . import db, streams
from .client import PcoClient, resolve

log = logging.getLogger(__name__)

BATCH_ROWS = 200  # two pages of 100
BATCH_TABLE = "pco_extract_batch"

# The statements, in include/sql/extract/ (the batch table's name is fixed there).
CREATE_BATCH = db.sql("extract/create_batch.sql")
UPSERT_BATCH = db.sql("extract/upsert_batch.sql")
RECORD_EXTRACT = db.sql("extract/record_extract.sql")


def extract(client: PcoClient, conn: psycopg.Connection, stream: str, run_id: str, *,
            window_start=None, window_end=None, full_refresh: bool = False) -> dict:
    """Read `stream` from PCO into pco_staging.<stream> under `run_id`.

    Returns {stream, mode, records (rows staged), requests (HTTP requests made)}."""
    spec = streams.get(stream)
    start, end = streams.window_bounds(window_start, window_end)
    mode = spec.mode(window=start is not None, full_refresh=full_refresh)
    params = spec.params(start, end, full_refresh=full_refresh)
    table = sql.SQL(spec.table)
    upsert = sql.SQL(UPSERT_BATCH).format(table=table, batch=sql.Identifier(BATCH_TABLE))
    requests_before = client.stats.requests
    read = 0

    with conn.transaction(), conn.cursor() as cur:
        cur.execute(sql.SQL("DELETE FROM {table} WHERE run_id = %s").format(table=table),
                    (run_id,))
        cur.execute(CREATE_BATCH)
        batch: list[tuple] = []
        for record, included in client.records(spec.path, params):
            batch.append(staging_row(read, record, included, spec.include))
            read += 1
            if len(batch) >= BATCH_ROWS:
                _load(cur, batch, upsert, run_id)
                batch = []
        _load(cur, batch, upsert, run_id)
        cur.execute(sql.SQL("SELECT count(*) FROM {table} WHERE run_id = %s").format(
            table=table), (run_id,))
        staged = cur.fetchone()[0]
        result = {"stream": stream, "mode": mode, "records": staged,
                  "requests": client.stats.requests - requests_before}
        cur.execute(RECORD_EXTRACT, {**result, "run_id": run_id, "window_start": start,
                                     "window_end": end})
    log.info("extracted %s (%s): %d records read, %d staged, %d requests", stream, mode, read,
             staged, result["requests"])
    return result


def _load(cur: psycopg.Cursor, batch: list[tuple], upsert: sql.Composed, run_id: str) -> None:
    if not batch:
        return
    with cur.copy(f"COPY pg_temp.{BATCH_TABLE} (seq, pco_id, pco_updated_at, record) "
                  "FROM STDIN") as copy:
        for row in batch:
            copy.write_row(row)
    cur.execute(upsert, {"run_id": run_id})
    cur.execute(f"TRUNCATE pg_temp.{BATCH_TABLE}")


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
