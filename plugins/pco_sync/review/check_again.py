""""Check again" on quarantined records: the row checks run again over the staged records of
the run that last saw them (the suites may have changed since, or a check was fixed). A row
whose record passes now resolves, as it would on the next read; the merge takes the record
the next time a run reads it."""
from __future__ import annotations

import psycopg

from pco_sync import sqlfiles
from pco_sync.errors import ReviewError
from pco_sync.quality import validate


def check_again(conn: psycopg.Connection, ids: list[int], actor: str) -> list[int]:
    """Re-validate the streams and runs of quarantine rows `ids`; the audit log ids."""
    rows = conn.execute(sqlfiles.read("review/quarantine_to_check.sql"), {"ids": ids}).fetchall()
    conn.commit()
    missing = sorted(set(ids) - {r[0] for r in rows})
    if missing:
        raise ReviewError(f"no open quarantine row {', '.join(map(str, missing))}")
    for stream, run_id in sorted({(r[1], r[2]) for r in rows}):
        validate.validate(conn, stream, run_id)
        conn.commit()  # validate leaves its last read open, as the validate task commits it
    columns = ("ids", "streams", "run_ids", "pco_ids", "checks", "details")
    params = {name: [r[i] for r in rows] for i, name in enumerate(columns)}
    with conn.transaction():
        logged = conn.execute(sqlfiles.read("review/log_check_again.sql"),
                              {**params, "actor": actor}).fetchall()
    return [r[0] for r in logged]


def outcome(conn: psycopg.Connection, log_ids: list[int]) -> str:
    """What a person is told after "Check again": what passes now and what still fails."""
    with conn.transaction():
        passing, failing = conn.execute(sqlfiles.read("review/check_again_outcome.sql"),
                                        {"log_ids": log_ids}).fetchone()
    parts = []
    if passing:
        parts.append(f"{passing} pass{'es' if passing == 1 else ''} now and "
                     f"{'is' if passing == 1 else 'are'} no longer quarantined")
    if failing:
        parts.append(f"{failing} still fail{'s' if failing == 1 else ''} "
                     f"{'its check' if failing == 1 else 'their checks'} and "
                     f"stay{'s' if failing == 1 else ''} quarantined")
    return "Checked again: " + "; ".join(parts or ["nothing to check"]) + "."
