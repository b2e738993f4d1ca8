"""Batch gates: checks that stop the run before anything is merged when the batch as a
whole is wrong, for the streams this run extracted (pco_staging.extracts):

- a whole read of a stream with linked records must hold at least MIN_SNAPSHOT_SHARE of
  what is linked here (an outage answering empty pages must never look like people
  leaving or groups deleted);
- at most MAX_QUARANTINE_SHARE of a stream's records may fail their row checks, unless the
  run says accept_quarantine (a person checked the quarantined records: the rest merge);
- a groups or teams snapshot may end at most MAX_LEAVE_SHARE of current memberships at
  once, unless the run says accept_mass_leaves. A group or team PCO deleted ends its
  memberships without counting here: that is PCO saying so, not a list read wrong.
"""
from __future__ import annotations

import logging

import psycopg

from pco_sync import church_db, sqlfiles
from pco_sync.errors import QualityGateError
from pco_sync.extract.absent import linked_count
from pco_sync.extract.children import PARENT_KIND
from pco_sync.limits import (MASS_LEAVE_MIN, MAX_LEAVE_SHARE, MAX_QUARANTINE_SHARE,
                             MIN_SNAPSHOT_SHARE, QUARANTINE_MIN_ROWS)
from pco_sync.pco import resources

log = logging.getLogger(__name__)


def gate(conn: psycopg.Connection, run_id: str, streams=None, *, full_refresh: bool = False,
         accept_mass_leaves: bool = False, accept_quarantine: bool = False) -> None:
    """Raise QualityGateError when this run's batch of `streams` (default: every stream the
    run extracted) must not be merged. accept_quarantine lets the quarantine share through
    (the other gates still apply)."""
    church_db.use_run(conn, run_id)
    problems = []
    with conn.transaction():  # reads only; leaves no transaction open
        extracted = [(s, mode) for s, mode in conn.execute(
            sqlfiles.read("quality/extracts_of_run.sql")).fetchall()
            if streams is None or s in streams]
        for stream, mode in extracted:
            problems += _problems(conn, run_id, stream, mode == "snapshot" or full_refresh,
                                  accept_mass_leaves, accept_quarantine)
    if problems:
        raise QualityGateError("quality gate failed: " + " | ".join(problems))
    log.info("quality gate passed for run %s (%s)", run_id,
             ", ".join(s for s, _ in extracted) or "nothing extracted")


def _problems(conn, run_id: str, stream: str, whole: bool, accept_mass_leaves: bool,
              accept_quarantine: bool) -> list[str]:
    problems = []
    spec = resources.stream(stream)
    table = sqlfiles.staging_table(stream)
    staged, quarantined = conn.execute(sqlfiles.statement("quality/batch_counts.sql", table=table),
                                       {"stream": stream}).fetchone()
    if spec.linked and whole:
        linked = linked_count(conn, stream)
        if linked and staged < MIN_SNAPSHOT_SHARE * linked:
            problems.append(
                f"the full {stream} pull returned {staged} records, but the church database "
                f"has {linked} {stream} linked to PCO (pco_id set); fewer than "
                f"{MIN_SNAPSHOT_SHARE:.0%} looks like a PCO outage or empty pages, not {stream} "
                "leaving. Nothing was merged; re-run when PCO answers normally")
    if staged >= QUARANTINE_MIN_ROWS and quarantined > MAX_QUARANTINE_SHARE * staged:
        share = (f"{quarantined} of {staged} {stream} records ({quarantined / staged:.0%}) "
                 f"failed quality checks, more than {MAX_QUARANTINE_SHARE:.0%}")
        if accept_quarantine:
            log.warning("%s; accepted by this run (accept_quarantine): the rest merge", share)
        else:
            problems.append(
                f"{share}; see sync.quarantine for run {run_id}. If those records were "
                "checked, trigger a run with accept_quarantine=true")
    if stream in PARENT_KIND:
        current, ending = conn.execute(
            sqlfiles.statement("quality/membership_leaves.sql", table=table),
            {"kind": PARENT_KIND[stream], "stream": stream}).fetchone()
        if ending >= MASS_LEAVE_MIN and ending > MAX_LEAVE_SHARE * current and not accept_mass_leaves:
            problems.append(
                f"this {spec.parent} snapshot would end {ending} of {current} current "
                f"memberships ({ending / current:.0%}), more than {MAX_LEAVE_SHARE:.0%} at "
                "once. Nothing was merged; if PCO is right, trigger a run with "
                "accept_mass_leaves=true")
    return problems
