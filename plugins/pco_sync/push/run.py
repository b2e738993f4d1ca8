"""One push of a run, as its task reports it: the counts for XCom and the run summary, and
in a dry run the requests it would have made, in the log (all) and the XCom (the first
XCOM_OPERATIONS)."""
from __future__ import annotations

import json
import logging

import psycopg

from pco_sync.pco.client import PcoClient
from pco_sync.push.entities import push
from pco_sync.push.settings import PushSettings

log = logging.getLogger(__name__)

XCOM_OPERATIONS = 500


def run(conn: psycopg.Connection, client: PcoClient | None, name: str, run_id: str,
        settings: PushSettings | None = None, *, full_push: bool = False,
        dry_run: bool = False, accept_mass_push: bool = False, progress=None) -> dict:
    """Push `name` (people, families or memberships) to PCO; the counts. progress: called
    with how far the push is, every few seconds (pco_sync.progress)."""
    if name == "people":
        log.info("push settings: %s", settings or PushSettings())
    counts = push(conn, client, name, run_id, settings, full_push=full_push, dry_run=dry_run,
                  accept_mass_push=accept_mass_push, progress=progress)
    if counts.get("gate"):
        log.warning("dry run: a real push would stop here: %s", counts["gate"])
    operations = counts.pop("operations", None)
    if operations is not None:
        log.info("dry run: push %s would make %d requests:", name, len(operations))
        for op in operations:
            log.info("  %s %s %s", op["method"], op["path"],
                     json.dumps(op["body"]) if op["body"] is not None else "")
        counts["operations"] = operations[:XCOM_OPERATIONS]
        counts["operations_total"] = len(operations)
    log.info("push %s: %s", name, {k: v for k, v in counts.items() if k != "operations"})
    return counts
