"""What a whole read lacks: after a snapshot, each locally linked record the list did not
return is fetched by id. A 404 goes to pco_staging.gone (the merge's only evidence of a
deletion); a record that is there after all is staged (offset paging skipped it).
"""
from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from pco_sync import church_db, limits, sqlfiles
from pco_sync.errors import PcoError
from pco_sync.extract.staging import staging_row
from pco_sync.pco import resources
from pco_sync.pco.client import PcoClient

log = logging.getLogger(__name__)


def linked_query(stream: str):
    """The pco_ids of the local records linked to `stream` (include/sql/linked/)."""
    return sqlfiles.read(f"linked/{stream}.sql")


def linked_count(conn: psycopg.Connection, stream: str) -> int:
    return conn.execute(sqlfiles.statement(
        "linked/count.sql", linked=sql.SQL(linked_query(stream)))).fetchone()[0]


def confirm_absent(client: PcoClient, conn: psycopg.Connection, stream: str,
                   run_id: str) -> dict:
    """GET the linked records this run's snapshot of `stream` lacks. {missing, gone, found}."""
    spec = resources.stream(stream)
    table = sqlfiles.staging_table(stream)
    church_db.use_run(conn, run_id)
    with conn.transaction():
        conn.execute(sqlfiles.read("extract/clear_gone.sql"), {"stream": stream})
        linked = [p for (p,) in conn.execute(linked_query(stream)).fetchall()]
        staged = {p for (p,) in conn.execute(
            sqlfiles.statement("extract/staged_ids.sql", table=table)).fetchall()}
    missing = sorted((p for p in linked if p not in staged), key=lambda p: (len(p), p))
    result = {"missing": len(missing), "gone": 0, "found": 0}
    if not missing or len(staged) < limits.MIN_SNAPSHOT_SHARE * len(linked):
        return result  # nothing to check, or an outage-shaped list the gate will stop
    gone, found = [], []
    for pco_id in missing[:limits.CONFIRM_ABSENT_MAX]:
        try:
            doc = client.get(f"{spec.path}/{pco_id}",
                             {"include": ",".join(spec.include)} if spec.include else None)
        except PcoError as exc:
            if exc.status == 404:
                gone.append(pco_id)
                continue
            log.warning("could not confirm %s %s is gone (%s); later snapshots will", stream,
                        pco_id, exc)
            break
        included = {(r["type"], r["id"]): r for r in doc.get("included") or []}
        found.append(staging_row(len(found), doc.get("data"), included, spec.include))
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(sqlfiles.read("extract/record_gone.sql"), [(stream, p) for p in gone])
        cur.executemany(sqlfiles.statement("extract/stage_found.sql", table=table),
                        [(pid, upd, text) for _, pid, upd, text in found])
    result.update(gone=len(gone), found=len(found))
    log.info("%s: %d linked records missing from the snapshot: %d gone (404), %d there after "
             "all", stream, len(missing), len(gone), len(found))
    return result
