"""Row-level checks of a run's staged PCO records, before anything is merged.

Each stream has frames (people, their emails, their phone numbers; households; groups,
calendar and teams), each checked by its Great Expectations suite (quality.suites: the
files under include/gx/expectations) through its checkpoint (quality.checkpoint), run with
the Airflow run id as GX's run name over this run's staging rows, read in chunks into
pandas. A record failing any check is quarantined (sync.quarantine: run, stream, PCO id,
check, detail, the raw staged record); merges skip quarantined records and the rest
proceed. A failing contact (a person's email or phone number) is quarantined as that
contact: the person is merged without it. Each frame's result is kept in
sync.quality_results for Data Docs (quality.docs).

One open row per failure (stream, record, contact, check): found again, it is updated to the
latest run that saw it; once a run stages the record and the check passes, it is resolved.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import Callable

import psycopg

from pco_sync import church_db, sqlfiles
from pco_sync.pco import resources
from pco_sync.progress import Progress
from pco_sync.quality import checkpoint, groups, people, results
from pco_sync.quality.frames import Frame

log = logging.getLogger(__name__)

CHUNK_ROWS = 50_000  # rows per DataFrame, so a 100,000-person first sync stays small
FRAMES: dict[str, tuple[Frame, ...]] = {**people.FRAMES, **groups.FRAMES}


def frames(stream: str) -> tuple[Frame, ...]:
    return FRAMES[stream]


def validate_resource(conn: psycopg.Connection, resource: str, run_id: str,
                      progress: Callable[[dict], None] | None = None) -> dict:
    """validate() for each checked stream of `resource`: {stream: counts}. progress: told
    how many of the staged records are checked (pco_sync.progress)."""
    streams = resources.resource(resource).checked_streams
    church_db.use_run(conn, run_id)
    staged = {s: conn.execute(sqlfiles.statement(
        "quality/batch_counts.sql", table=sqlfiles.staging_table(s)), {"stream": s}).fetchone()[0]
        for s in streams}
    total = sum(staged.values())
    told = Progress(f"validate {resource}", "records checked", progress)
    done = 0

    def checked(rows: int) -> None:
        nonlocal done
        done += rows
        told.update(done, total)

    out = {}
    for stream in streams:
        out[stream] = validate(conn, stream, run_id, checked, staged=staged[stream])
        conn.commit()  # quarantine rows stay even if a gate then stops the run
    told.finish(done, total)
    return out


def validate(conn: psycopg.Connection, stream: str, run_id: str,
             checked: Callable[[int], None] | None = None, *, staged: int | None = None) -> dict:
    """Run the row-level checks on this run's staged `stream`; quarantine failing records.

    Re-running replaces what this run found for the stream with what fails now.
    Returns {checked, passed, quarantined} (records, not rows: a record failing two checks,
    or with a bad contact, is one quarantined record). checked: told the number of records
    each chunk of the record frame (not its contacts) checked; staged: how many records
    this run staged, when the caller has counted them already."""
    table = sqlfiles.staging_table(resources.stream(stream).name)
    church_db.use_run(conn, run_id)
    counts = sqlfiles.statement("quality/batch_counts.sql", table=table)
    if staged is None:
        staged = conn.execute(counts, {"stream": stream}).fetchone()[0]
    if not staged:
        # Nothing staged (a quiet window, a stream not due): nothing to check, and no need
        # to import Great Expectations (10 s or more) in a run that would only do that.
        with conn.transaction():
            _write(conn, stream, table, {})
            results.save(conn, stream, [])
        return {"checked": 0, "passed": 0, "quarantined": 0}
    import pandas as pd

    context = checkpoint.context()
    run = checkpoint.run_id(run_id)
    today = datetime.now(timezone.utc).date()  # the suites' {"$PARAMETER": "today"}
    failures: dict[tuple, list[str]] = {}  # (pco_id, contact kind, contact id, check)
    summaries = []

    with conn.transaction():
        for frame in frames(stream):
            gx_checkpoint = checkpoint.checkpoint(context, frame)
            summary = results.Summary(stream, frame)
            with conn.cursor(name=f"quality_{frame.name}") as cur:
                cur.execute(frame.query)
                for rows in _chunks(cur):
                    df = frame.derive(pd.DataFrame(
                        rows, columns=[d.name for d in cur.description], dtype=object))
                    validation = checkpoint.validate(gx_checkpoint, df, run, today)
                    for check, detail, row in results.failures(validation, frame):
                        failures.setdefault(_key(frame, check, row), []).append(
                            _detail(detail, row))
                    summary.add(validation, len(rows))
                    if checked and frame.contact is None:
                        checked(len(rows))
            summaries.append(summary)
        _write(conn, stream, table, failures)
        results.save(conn, stream, summaries)
        checked, quarantined = conn.execute(counts, {"stream": stream}).fetchone()
    by_check: dict[str, int] = {}
    for *_, name in failures:
        by_check[name] = by_check.get(name, 0) + 1
    log.info("quality %s: %d checked, %d quarantined; failed checks: %s", stream, checked,
             quarantined, by_check or "none")
    return {"checked": checked, "passed": checked - quarantined, "quarantined": quarantined}


def _chunks(cur):
    """The cursor's rows, CHUNK_ROWS at a time; one empty chunk when there are none, so a
    frame without rows (people without emails) still has a result."""
    rows = cur.fetchmany(CHUNK_ROWS)
    yield rows
    while rows := cur.fetchmany(CHUNK_ROWS):
        yield rows


def _key(frame: Frame, check: str, row: dict) -> tuple:
    """The failure's quarantine key: the record, the contact when the frame's rows are
    contacts (an id-less contact: None), the check."""
    if frame.contact is None:
        return row["pco_id"], None, None, check
    kind, id_column = frame.contact
    contact_id = row.get(id_column)
    contact_id = None if _missing(contact_id) or contact_id == "" else str(contact_id)
    return row["pco_id"], kind, contact_id, check


def _detail(template: str, row: dict) -> str:
    values = {k: (None if _missing(v) else results.short(v)) for k, v in row.items()}
    values.update({k: None for k in re.findall(r"\{(\w+)", template) if k not in values})
    return template.format(**values)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _write(conn, stream: str, table, failures: dict) -> None:
    keys = sorted(failures, key=lambda k: tuple("" if v is None else v for v in k))
    params = {"stream": stream,
              "pco_ids": [k[0] for k in keys], "contact_kinds": [k[1] for k in keys],
              "contact_ids": [k[2] for k in keys], "checks": [k[3] for k in keys],
              "details": ["; ".join(dict.fromkeys(failures[k]))[:2000] for k in keys]}
    conn.execute(sqlfiles.statement("quality/resolve_fixed.sql", table=table), params)
    conn.execute(sqlfiles.statement("quality/quarantine.sql", table=table), params)
