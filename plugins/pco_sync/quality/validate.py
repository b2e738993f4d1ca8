"""Quality of a run's staged PCO records, before anything is merged.

validate(): row-level checks, one Great Expectations suite per frame of a stream (people,
their emails, their phone numbers; households), run over this run's staging rows read in
chunks into pandas. A record failing any check is quarantined (sync.quarantine: run, stream,
PCO id, check, detail, the raw staged record); merges skip quarantined records and the rest
proceed.

gate(): batch-level checks that stop the run before the merge when the batch as a whole
is wrong: above all a snapshot with far fewer people than the church has linked (an outage
answering empty pages must never look like people leaving), or a run where a large share
of the records failed their checks.

Great Expectations is imported inside the functions: importing it takes seconds, and the
DAG file must stay quick to parse.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable

import psycopg
from psycopg import sql

from . import streams
from .db import sql as sql_file

log = logging.getLogger(__name__)

CHUNK_ROWS = 50_000  # rows per DataFrame, so a 100,000-person first sync stays small
STATUSES = ["active", "inactive"]
MIN_BIRTHDATE = date(1900, 1, 1)
MAX_NAME_LENGTH = 255  # real names never get near it; megabyte names are junk
# One @, no spaces, a dotted domain; trimmed first (PCO keeps stray spaces as typed).
EMAIL_PATTERN = r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$"
PHONE_PATTERN = r"\d"  # a phone number with no digit at all ("n/a", "xxx-xxx-xxxx")
# Linked people a full pull must at least return, and the share of quarantined records
# (among at least QUARANTINE_MIN_ROWS, so a 3-person window with one typo does not stop
# the sync) above which the run stops.
MIN_SNAPSHOT_SHARE = 0.5
MAX_QUARANTINE_SHARE = 0.2
QUARANTINE_MIN_ROWS = 20
# Characters that make a name look present without showing anything.
INVISIBLE = re.compile(r"[\s\u00ad\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff\x00-\x1f\x7f]+")


class QualityGateError(Exception):
    """The run's batch is badly wrong; the message says what and by how much."""


# ---- what is checked --------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    name: str  # sync.quarantine.check_name
    detail: str  # format string over the failing row's columns
    expectations: Callable[[object, date], list]  # (gx.expectations, today) -> [Expectation]


@dataclass(frozen=True)
class Frame:
    """One flat table of a stream's staged rows, with the checks run on it."""

    name: str
    query: str  # over pco_staging.<stream>, parameter %(run_id)s; first column pco_id
    derive: Callable[[object, date], object]  # adds the checked columns to a DataFrame
    columns: tuple[str, ...]  # reported with each failing row
    checks: tuple[Check, ...] = field(default_factory=tuple)


def _visible(value):
    """The text without invisible characters; None when nothing is left."""
    return (INVISIBLE.sub("", value) or None) if isinstance(value, str) else None


def _stripped(value):
    return (value.strip() or None) if isinstance(value, str) else None


def _as_text(value):
    return value if isinstance(value, str) else None


def _column(df, source: str, fn):
    """fn over a column as a column of Python objects (None stays None, unlike map())."""
    import pandas as pd
    return pd.Series([fn(v) for v in df[source]], index=df.index, dtype=object)


def _as_date(value):
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None


def _derive_people(df, today):
    for c in ("id", "first_name", "last_name", "birthdate", "status"):
        df[c] = _column(df, c, _as_text)
    df["id_value"] = _column(df, "id", _stripped)
    df["full_name"] = _column(df, "first_name", lambda v: v or "") + \
        _column(df, "last_name", lambda v: v or "")
    df["name"] = _column(df, "full_name", _visible)
    df["birthdate_date"] = _column(df, "birthdate", _as_date)
    return df


def _derive_emails(df, today):
    df["address"] = _column(df, "address", _as_text)
    df["address_trimmed"] = _column(df, "address", _stripped)
    return df


def _derive_phones(df, today):
    df["number"] = _column(df, "number", _as_text)
    return df


def _derive_households(df, today):
    for c in ("id", "name"):
        df[c] = _column(df, c, _as_text)
    df["id_value"] = _column(df, "id", _stripped)
    df["name_value"] = _column(df, "name", _visible)
    df["members"] = df["members"].astype("int64")
    return df


def _id_check() -> Check:
    return Check("id_present", "the record has no id",
                 lambda E, today: [E.ExpectColumnValuesToNotBeNull(column="id_value")])


PEOPLE_FRAMES = (
    Frame(
        "people",
        sql_file("quality/frame_people.sql"),
        _derive_people,
        ("pco_id", "first_name", "last_name", "birthdate", "status"),
        (
            _id_check(),
            Check("name_present", "first and last name are both blank",
                  lambda E, today: [E.ExpectColumnValuesToNotBeNull(column="name")]),
            Check("name_length", f"a name is longer than {MAX_NAME_LENGTH} characters",
                  lambda E, today: [
                      E.ExpectColumnValueLengthsToBeBetween(column=c, max_value=MAX_NAME_LENGTH)
                      for c in ("first_name", "last_name")]),
            Check("birthdate_valid",
                  "birthdate {birthdate!r} is not a date between 1900-01-01 and today",
                  lambda E, today: [
                      E.ExpectColumnValuesToMatchStrftimeFormat(column="birthdate",
                                                                strftime_format="%Y-%m-%d"),
                      E.ExpectColumnValuesToBeBetween(column="birthdate_date",
                                                      min_value=MIN_BIRTHDATE,
                                                      max_value=today)]),
            Check("status_known", "status {status!r} is not one of " + ", ".join(STATUSES),
                  lambda E, today: [E.ExpectColumnValuesToNotBeNull(column="status"),
                                    E.ExpectColumnValuesToBeInSet(column="status",
                                                                  value_set=STATUSES)]),
        ),
    ),
    Frame(
        "people_emails",
        sql_file("quality/frame_people_emails.sql"),
        _derive_emails,
        ("pco_id", "email_id", "address"),
        (
            Check("email_format", "email {email_id} {address!r} is not an email address",
                  lambda E, today: [E.ExpectColumnValuesToNotBeNull(column="address_trimmed"),
                                    E.ExpectColumnValuesToMatchRegex(column="address_trimmed",
                                                                     regex=EMAIL_PATTERN)]),
        ),
    ),
    Frame(
        "people_phone_numbers",
        sql_file("quality/frame_people_phone_numbers.sql"),
        _derive_phones,
        ("pco_id", "phone_id", "number"),
        (
            Check("phone_has_digits", "phone number {phone_id} {number!r} has no digits",
                  lambda E, today: [E.ExpectColumnValuesToNotBeNull(column="number"),
                                    E.ExpectColumnValuesToMatchRegex(column="number",
                                                                     regex=PHONE_PATTERN)]),
        ),
    ),
)

HOUSEHOLD_FRAMES = (
    Frame(
        "households",
        sql_file("quality/frame_households.sql"),
        _derive_households,
        ("pco_id", "name", "members"),
        (
            _id_check(),
            Check("name_present", "the household has no name",
                  lambda E, today: [E.ExpectColumnValuesToNotBeNull(column="name_value")]),
            Check("has_members", "the household has no members",
                  lambda E, today: [E.ExpectColumnValuesToBeBetween(column="members",
                                                                    min_value=1)]),
        ),
    ),
)

FRAMES = {"people": PEOPLE_FRAMES, "households": HOUSEHOLD_FRAMES}


# ---- validate ---------------------------------------------------------------------------
FORGET_FIXED = sql_file("quality/forget_fixed.sql")

QUARANTINE = sql_file("quality/quarantine.sql")

COUNTS = sql_file("quality/batch_counts.sql")


def validate(conn: psycopg.Connection, stream: str, run_id: str) -> dict:
    """Run the row-level checks on this run's staged `stream`; quarantine failing records.

    Re-running replaces the run's open quarantine rows for the stream with what fails now.
    Returns {checked, passed, quarantined} (records, not rows: a record failing two checks
    is one quarantined record)."""
    streams.get(stream)
    if not conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE run_id = %s)").format(
            sql.SQL(streams.get(stream).table)), (run_id,)).fetchone()[0]:
        # Nothing staged (a quiet window, a stream not due): nothing to check, and no need
        # to import Great Expectations (10 s or more) in a run that would only do that.
        with conn.transaction():
            _write(conn, stream, run_id, {})
        return {"checked": 0, "passed": 0, "quarantined": 0}
    import pandas as pd

    context, gx = _context()
    source = context.data_sources.add_pandas("pco_staging")
    today = datetime.now(timezone.utc).date()
    failures: dict[tuple[str, str], list[str]] = {}

    with conn.transaction():
        for frame in frames(stream):
            batches = source.add_dataframe_asset(frame.name).add_batch_definition_whole_dataframe(
                "chunk")
            suites = [(check, _suite(context, gx, frame, check, today)) for check in frame.checks]
            with conn.cursor(name=f"quality_{frame.name}") as cur:
                cur.execute(frame.query, {"run_id": run_id})
                while rows := cur.fetchmany(CHUNK_ROWS):
                    df = pd.DataFrame(rows, columns=[d.name for d in cur.description],
                                      dtype=object)
                    df = frame.derive(df, today)
                    batch = batches.get_batch(batch_parameters={"dataframe": df})
                    for check, suite in suites:
                        for row in _failing_rows(batch, suite, frame, check):
                            failures.setdefault((row["pco_id"], check.name), []).append(
                                _detail(check.detail, row))
        _write(conn, stream, run_id, failures)
        checked, quarantined = conn.execute(COUNTS.format(stream=stream),
                                            {"run_id": run_id, "stream": stream}).fetchone()
    by_check: dict[str, int] = {}
    for _, name in failures:
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


def _write(conn, stream: str, run_id: str, failures: dict) -> None:
    keys = sorted(failures)
    params = {"run_id": run_id, "stream": stream,
              "pco_ids": [k[0] for k in keys], "checks": [k[1] for k in keys],
              "details": ["; ".join(dict.fromkeys(failures[k]))[:2000] for k in keys]}
    conn.execute(FORGET_FIXED, params)
    conn.execute(QUARANTINE.format(stream=stream), params)


# ---- gate -------------------------------------------------------------------------------
# Local tables whose rows linked to PCO (pco_id set) a snapshot of the stream must cover.
LINKED = {"people": ("church", "people"), "households": ("church", "families")}

EXTRACTS = sql_file("quality/extracts_of_run.sql")

HAS_PCO_ID = sql_file("quality/has_pco_id.sql")


def gate(conn: psycopg.Connection, run_id: str, *, full_refresh: bool,
         accept_mass_leaves: bool = False) -> None:
    """Raise QualityGateError when this run's batch must not be merged.

    For each stream the run extracted (pco_staging.extracts): a snapshot (every full
    refresh, and households always) must hold at least MIN_SNAPSHOT_SHARE of the local rows
    already linked to PCO; and at most MAX_QUARANTINE_SHARE of its records may be
    quarantined. Groups, calendar and teams add their own (quality_groups.gate_problems)."""
    problems = []
    with conn.transaction():  # reads only; leaves no transaction open
        extracted = conn.execute(EXTRACTS, {"run_id": run_id}).fetchall()
        for stream, mode in extracted:
            staged, quarantined = conn.execute(COUNTS.format(stream=stream),
                                               {"run_id": run_id, "stream": stream}).fetchone()
            if stream in LINKED and (mode == "snapshot" or full_refresh):
                linked = _linked(conn, *LINKED[stream])
                if linked and staged < MIN_SNAPSHOT_SHARE * linked:
                    problems.append(
                        f"the full {stream} pull returned {staged} records, but the church "
                        f"database has {linked} {stream} linked to PCO (pco_id set); fewer than "
                        f"{MIN_SNAPSHOT_SHARE:.0%} looks like a PCO outage or empty pages, not "
                        f"{stream} leaving. Nothing was merged; re-run when PCO answers normally")
            if staged >= QUARANTINE_MIN_ROWS and quarantined > MAX_QUARANTINE_SHARE * staged:
                problems.append(
                    f"{quarantined} of {staged} {stream} records ({quarantined / staged:.0%}) "
                    f"failed quality checks, more than {MAX_QUARANTINE_SHARE:.0%}; see "
                    f"sync.quarantine for run {run_id}")
        from . import quality_groups
        problems += quality_groups.gate_problems(conn, run_id, extracted,
                                                 accept_mass_leaves=accept_mass_leaves)
    if problems:
        raise QualityGateError("quality gate failed: " + " | ".join(problems))
    log.info("quality gate passed for run %s (%s)", run_id,
             ", ".join(s for s, _ in extracted) or "nothing extracted")


def _linked(conn, schema: str, table: str) -> int:
    if conn.execute(HAS_PCO_ID, (schema, table)).fetchone() is None:
        return 0  # the table is not there yet (a fresh database): nothing linked to lose
    return conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE pco_id IS NOT NULL").format(
        sql.Identifier(schema, table))).fetchone()[0]


def frames(stream: str) -> tuple[Frame, ...]:
    """The frames of a stream: FRAMES, and those of groups, calendar and Services teams
    (quality_groups builds on Frame and Check, so it is imported here, not at the top)."""
    from . import quality_groups

    return {**FRAMES, **quality_groups.FRAMES}[stream]
