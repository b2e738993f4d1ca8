"""The push tasks of the pco_sync DAG as plain functions: one entity's push with the
run's Params, its operations logged in a dry run, counts returned for XCom and the run
summary ("push people", "push families", "push memberships" in tasks.SUMMARY_ROWS)."""
from __future__ import annotations

import json
import logging

log = logging.getLogger(__name__)

XCOM_OPERATIONS = 500  # a dry run's XCom lists this many; the log lists all


def push(entity: str, db_url: str, client, run_id: str, *, full_push: bool = False,
         dry_run: bool = False, settings=None) -> dict:
    """Push `entity` (people, families or memberships) to PCO; the counts."""
    from pco_sync import db
    from pco_sync.push_families import push_families
    from pco_sync.push_memberships import push_memberships
    from pco_sync.push_people import push_people
    from pco_sync.push_settings import PushSettings

    with db.connect(db_url) as conn:
        if entity == "people":
            settings = settings or PushSettings.from_variables()
            log.info("push settings: %s", settings)
            counts = push_people(conn, client, run_id, settings, full_push=full_push,
                                 dry_run=dry_run)
        else:
            fn = {"families": push_families, "memberships": push_memberships}[entity]
            counts = fn(conn, client, run_id, full_push=full_push, dry_run=dry_run)
    operations = counts.pop("operations", None)
    if operations is not None:
        log.info("dry run: push %s would make %d requests:", entity, len(operations))
        for op in operations:
            log.info("  %s %s %s", op["method"], op["path"],
                     json.dumps(op["body"]) if op["body"] is not None else "")
        counts["operations"] = operations[:XCOM_OPERATIONS]
        counts["operations_total"] = len(operations)
    log.info("push %s: %s", entity, {k: v for k, v in counts.items() if k != "operations"})
    return counts
