"""Row-level checks of a run's staged PCO records, before anything is merged.

One Great Expectations suite per check of each frame of a stream (people, their emails,
their phone numbers; households; groups, calendar and teams), run over this run's staging
rows read in chunks into pandas. A record failing any check is quarantined
(sync.quarantine: run, stream, PCO id, check, detail, the raw staged record); merges skip
quarantined records and the rest proceed. A failing contact (a person's email or phone
number) is quarantined as that contact: the person is merged without it.

One open row per failure (stream, record, contact, check): found again, it is updated to the
latest run that saw it; once a run stages the record and the check passes, it is resolved.

Great Expectations is imported inside the functions: importing it takes seconds, and the
DAG file must stay quick to parse.
"""
from __future__ import annotations

import logging
import os
import re
from datetime import date, datetime, timezone

import psycopg

from pco_sync import church_db, sqlfiles
from pco_sync.pco import resources
from pco_sync.quality import groups, people
from pco_sync.quality.frames import Check, Frame

log = logging.getLogger(__name__)

CHUNK_ROWS = 50_000  # rows per DataFrame, so a 100,000-person first sync stays small
FRAMES: dict[str, tuple[Frame, ...]] = {**people.FRAMES, **groups.FRAMES}


def frames(stream: str) -> tuple[Frame, ...]:
    return FRAMES[stream]


def validate_resource(conn: psycopg.Connection, resource: str, run_id: str) -> dict:
    """validate() for each checked stream of `resource`: {stream: counts}."""
    results = {}
    for stream in resources.resource(resource).checked_streams:
        results[stream] = validate(conn, stream, run_id)
        conn.commit()  # quarantine rows stay even if a gate then stops the run
    return results


def validate(conn: psycopg.Connection, stream: str, run_id: str) -> dict:
    """Run the row-level checks on this run's staged `stream`; quarantine failing records.

    Re-running replaces what this run found for the stream with what fails now.
    Returns {checked, passed, quarantined} (records, not rows: a record failing two checks,
    or with a bad contact, is one quarantined record)."""
    table = sqlfiles.staging_table(resources.stream(stream).name)
    church_db.use_run(conn, run_id)
    counts = sqlfiles.statement("quality/batch_counts.sql", table=table)
    if not conn.execute(counts, {"stream": stream}).fetchone()[0]:
        # Nothing staged (a quiet window, a stream not due): nothing to check, and no need
        # to import Great Expectations (10 s or more) in a run that would only do that.
        with conn.transaction():
            _write(conn, stream, table, {})
        return {"checked": 0, "passed": 0, "quarantined": 0}
    import pandas as pd

    context, gx = _context()
    source = context.data_sources.add_pandas("pco_staging")
    today = datetime.now(timezone.utc).date()
    failures: dict[tuple, list[str]] = {}  # (pco_id, contact kind, contact id, check)

    with conn.transaction():
        for frame in frames(stream):
            batches = source.add_dataframe_asset(frame.name).add_batch_definition_whole_dataframe(
                "chunk")
            suites = [(check, _suite(context, gx, frame, check, today)) for check in frame.checks]
            with conn.cursor(name=f"quality_{frame.name}") as cur:
                cur.execute(frame.query)
                while rows := cur.fetchmany(CHUNK_ROWS):
                    df = pd.DataFrame(rows, columns=[d.name for d in cur.description],
                                      dtype=object)
                    df = frame.derive(df, today)
                    batch = batches.get_batch(batch_parameters={"dataframe": df})
                    for check, suite in suites:
                        for row in _failing_rows(batch, suite, frame, check):
                            failures.setdefault(_key(frame, check, row), []).append(
                                _detail(check.detail, row))
        _write(conn, stream, table, failures)
        checked, quarantined = conn.execute(counts, {"stream": stream}).fetchone()
    by_check: dict[str, int] = {}
    for *_, name in failures:
        by_check[name] = by_check.get(name, 0) + 1
    log.info("quality %s: %d checked, %d quarantined; failed checks: %s", stream, checked,
             quarantined, by_check or "none")
    return {"checked": checked, "passed": checked - quarantined, "quarantined": quarantined}


def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no usage reports from a task
    import great_expectations as gx
    from great_expectations.data_context.types.base import (DataContextConfig,
                                                            InMemoryStoreBackendDefaults,
                                                            ProgressBarsConfig)

    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(),
                               progress_bars=ProgressBarsConfig(globally=False),
                               analytics_enabled=False)
    return gx.get_context(mode="ephemeral", project_config=config), gx


def _suite(context, gx, frame: Frame, check: Check, today: date):
    suite = gx.ExpectationSuite(name=f"{frame.name}.{check.name}")
    for expectation in check.expectations(gx.expectations, today):
        suite.add_expectation(expectation)
    return context.suites.add(suite)


def _failing_rows(batch, suite, frame: Frame, check: Check) -> list[dict]:
    result = batch.validate(suite, result_format={
        "result_format": "COMPLETE", "unexpected_index_column_names": list(frame.columns)})
    rows = []
    for r in result.results:
        info = r.exception_info or {}
        if info.get("raised_exception"):
            # A check that could not run must not let records through unchecked.
            raise RuntimeError(f"quality check {check.name} on {frame.name} could not run: "
                               f"{info.get('exception_message')}")
        if not r.success:
            rows.extend(r.result.get("unexpected_index_list") or [])
    return rows


def _key(frame: Frame, check: Check, row: dict) -> tuple:
    """The failure's quarantine key: the record, the contact when the frame's rows are
    contacts (an id-less contact: None), the check."""
    if frame.contact is None:
        return row["pco_id"], None, None, check.name
    kind, id_column = frame.contact
    contact_id = row.get(id_column)
    contact_id = None if _missing(contact_id) or contact_id == "" else str(contact_id)
    return row["pco_id"], kind, contact_id, check.name


def _detail(template: str, row: dict) -> str:
    values = {k: (None if _missing(v) else _short(v)) for k, v in row.items()}
    values.update({k: None for k in re.findall(r"\{(\w+)", template) if k not in values})
    return template.format(**values)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _short(value, limit: int = 120):
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"... ({len(value)} characters)"
    return value


def _write(conn, stream: str, table, failures: dict) -> None:
    keys = sorted(failures, key=lambda k: tuple("" if v is None else v for v in k))
    params = {"stream": stream,
              "pco_ids": [k[0] for k in keys], "contact_kinds": [k[1] for k in keys],
              "contact_ids": [k[2] for k in keys], "checks": [k[3] for k in keys],
              "details": ["; ".join(dict.fromkeys(failures[k]))[:2000] for k in keys]}
    conn.execute(sqlfiles.statement("quality/resolve_fixed.sql", table=table), params)
    conn.execute(sqlfiles.statement("quality/quarantine.sql", table=table), params)
