"""Sending local changes to PCO: the engine the push phases share.

A phase asks SQL (include/sql/push/<plan>.sql) what to send; every row is one write (an
Op) or a reason not to send it (skip). The Pusher sends the ops through the paced client
and saves the outcomes in batches with set-based SQL (include/sql/push/<save>.sql, then
record_results.sql for failures and the journal). It never sends what SQL did not ask for,
so a push with nothing to do makes no request at all.

Exactly once with the fewest requests: creates (people, contacts, households) are
journaled in sync.push_pending before they are sent, and the row goes with the saved
outcome. Only a create whose journal row an earlier attempt left (the plan marks it
pending), or whose own request got a "maybe applied" error, is looked up in PCO (a person
by remote_id = the local id) before it is sent again; any other create costs one request.
A refusal (4xx) clears the row, no answer or a 5xx keeps it. Deletes that find nothing and
member adds PCO says exist already count as done.

A refusal from PCO (4xx) fails that record only: it lands in sync.push_failures with PCO's
detail and is retried with backoff by later runs. Staff may make it due now
(sync.retry_push_failure) or dismiss it (sync.dismiss_push_failure): a dismissed write is
skipped while a plan asks for that very write. PCO itself failing (no answers, 5xx after
the client's retries) three times in a row stops the push: that is an outage, not a
record's problem. Dry run: the same planning and saving inside a transaction that is
rolled back, with made-up ids and no requests; the operations are listed instead.
"""
from __future__ import annotations

import json
import logging
from typing import Callable

import psycopg

from pco_sync import church_db, sqlfiles
from pco_sync.errors import PcoError, PcoOutage
from pco_sync.progress import Progress
from pco_sync.pco.client import PcoClient
from pco_sync.push import lookups
from pco_sync.push.services import ServicesAccess, not_in_services
from pco_sync.push.ops import Op, Result

log = logging.getLogger(__name__)

BATCH = 50  # outcomes saved per transaction: at most this many lost to a crash
OUTAGE_STREAK = 3  # consecutive no-answer failures that stop the push


class Pusher:
    def __init__(self, conn: psycopg.Connection, client: PcoClient | None, run_id: str, *,
                 dry_run: bool = False, after_send: Callable[[Op, Result], None] | None = None,
                 batch: int = BATCH, progress: Progress | None = None):
        self.conn, self.client, self.run_id = conn, client, run_id
        self.dry_run, self.after_send, self.batch = dry_run, after_send, batch
        self.operations: list[dict] = []  # what a dry run would have sent
        self.streak = 0
        # How far the push is: writes sent of those planned so far (later steps plan later).
        self.progress, self.planned, self.sent = progress, 0, 0
        self.requests_before = client.stats.requests if client else 0
        self.services = ServicesAccess(client) if client else None
        church_db.use_run(conn, run_id)
        conn.execute(sqlfiles.read("push/create_results.sql"))

    # ---- planning -------------------------------------------------------------------------
    def plan(self, name: str, params: dict | None = None) -> tuple[list[Op], list[dict]]:
        """Rows of include/sql/push/<name>.sql: the ops to send, and the skipped rows."""
        cur = self.conn.cursor(row_factory=psycopg.rows.dict_row)
        rows = cur.execute(sqlfiles.read(f"push/{name}.sql"), params or {}).fetchall()
        self._skip_dismissed(rows)
        ops = [Op.from_row(r) for r in rows if not r.get("skip")]
        return ops, [r for r in rows if r.get("skip")]

    def _skip_dismissed(self, rows: list[dict]) -> None:
        """A write whose failure staff dismissed is skipped while it is that very write
        (method, path, sent); another write of the record (it changed again) ends the
        dismissal and is sent."""
        entities = sorted({r["entity"] for r in rows if not r.get("skip")})
        if not entities:
            return
        dismissed = {(e, k, o): (i, w) for i, e, k, o, w in self.conn.execute(
            sqlfiles.read("push/dismissed_writes.sql"), {"entities": entities})}
        over = []
        for r in rows:
            hit = None if r.get("skip") else dismissed.get((r["entity"], r["key"], r["operation"]))
            if hit is None:
                continue
            if hit[1] == {"method": r["method"], "path": r["path"], "sent": r.get("sent")}:
                r["skip"] = "dismissed by staff"
            else:
                over.append(hit[0])
        if over:
            self.conn.execute(sqlfiles.read("push/end_dismissals.sql"), {"ids": over})

    # ---- sending and saving ---------------------------------------------------------------
    def execute(self, ops: list[Op], save: str, *, journal: bool = False) -> list[Result]:
        """Send `ops` in batches; after each batch run push/<save>.sql and record_results.sql
        over its outcomes and commit. Journaled ops are written to sync.push_pending (and
        committed) before their batch is sent."""
        results: list[Result] = []
        self.planned += len(ops)
        for start in range(0, len(ops), self.batch):
            chunk = ops[start:start + self.batch]
            if journal:
                self._journal(chunk)
            done: list[Result] = []
            try:
                for op in chunk:
                    done.append(self.send(op))
                    self.sent += 1
                    if self.progress:
                        self.progress.update(self.sent, self.planned, requests=self.requests())
            finally:
                if done:  # what was sent is saved even when the batch stops early
                    self._save(done, save)
                if journal:  # ops after the one in flight were never sent: no lookup later
                    self._unjournal([o for o in chunk[len(done) + 1:] if not o.pending])
            results += done
        return results

    def _journal(self, ops: list[Op]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(sqlfiles.read("push/journal.sql"),
                            [(*o.ident, o.method, o.path, json.dumps(o.body)) for o in ops])
        self.commit()

    def _unjournal(self, ops: list[Op]) -> None:
        if ops:
            with self.conn.cursor() as cur:
                cur.executemany(sqlfiles.read("push/unjournal.sql"), [o.ident for o in ops])
            self.commit()

    def _save(self, results: list[Result], save: str) -> None:
        with self.conn.cursor() as cur:
            with cur.copy(sqlfiles.read("push/copy_results.sql")) as cp:
                for r in results:
                    cp.write_row(r.row())
            cur.execute(sqlfiles.read(f"push/{save}.sql"))
            cur.execute(sqlfiles.read("push/record_results.sql"))
            # The save may turn a success into a failure (a PCO id linked elsewhere).
            refused = {(e, k, o): d for e, k, o, d in cur.execute(
                sqlfiles.read("push/refused_results.sql"))}
            cur.execute(sqlfiles.read("push/clear_results.sql"))
        self.commit()
        for r in results:
            if r.ok and (r.op.entity, r.op.key, r.op.operation) in refused:
                r.ok, r.detail = False, refused[(r.op.entity, r.op.key, r.op.operation)]
                log.warning("%s %s %s not saved: %s", r.op.operation, r.op.entity, r.op.key,
                            r.detail)

    def requests(self) -> int:
        """Requests this push made so far."""
        return self.client.stats.requests - self.requests_before if self.client else 0

    def commit(self) -> None:
        if not self.dry_run:
            self.conn.commit()

    def send(self, op: Op) -> Result:
        if self.dry_run:
            return self._pretend(op)
        try:
            if self._needs_services(op):
                result = self._add_to_services(op)
            else:
                result = self._send(op)
        except PcoError as exc:
            if isinstance(exc, PcoOutage):
                raise
            result = self._refused(op, exc)  # a lookup PCO refused (e.g. 404: gone)
            if op.lookup and op.method != "DELETE":  # a create's lookup failed: whether an
                result.unsure = True  # earlier attempt landed is still unknown, look again
        except lookups.NotOurs as exc:  # the journal row stays: every retry looks again
            log.warning("%s %s %s: %s", op.operation, op.entity, op.key, exc)
            result = Result(op, False, detail=str(exc), unsure=True)
        if self.after_send:  # tests inject a crash here: after PCO wrote, before we saved
            self.after_send(op, result)
        return result

    def _send(self, op: Op) -> Result:
        if op.method == "DELETE" and op.lookup:  # the id to delete is looked up first
            target = lookups.find(self.client, op)
            if target is None:
                return Result(op, True, op.pco_id)  # nothing there: already gone
            op.path, op.pco_id = f"{op.path}/{target['id']}", target["id"]
        elif op.lookup and op.pending:
            found = self._lookup(op)
            if found:
                return found
        unsure = 0
        while True:
            try:
                doc = self.client.request(op.method, op.path, json_body=op.body)
            except PcoError as exc:
                if exc.maybe_applied and op.lookup and unsure < 2:
                    unsure += 1
                    found = self._lookup(op)
                    if found:
                        return found
                    continue  # not there: it was not applied, send it again
                return self._refused(op, exc)
            self.streak = 0
            data = (doc or {}).get("data") or {}
            return Result(op, True, data.get("id") or op.pco_id, response=doc)

    def _lookup(self, op: Op) -> Result | None:
        found = lookups.find(self.client, op)
        if found is None:
            return None
        log.info("%s %s %s: found in PCO as %s (an earlier attempt), not sent again",
                 op.operation, op.entity, op.key, found.get("id"))
        return Result(op, True, found.get("id"), response={"data": found}, found=True)

    def _refused(self, op: Op, exc: PcoError) -> Result:
        if exc.status == 404 and op.method == "DELETE":
            return Result(op, True, op.pco_id)  # already gone: what we wanted
        if exc.status == 422 and op.operation == "add" and "taken" in exc.detail.lower():
            if not op.lookup:
                return Result(op, True, op.pco_id)  # already a member: done
            found = self._lookup(op)  # done too, once we know the membership's id
            if found:
                return found
        if not_in_services(exc) and op.entity == "team_assignment" \
                and not op.meta.get("services_added"):  # PCO knows better than our read
            return self._add_to_services(op)
        if exc.status == 401:
            raise exc  # the credentials, not this record
        if exc.status is None or exc.status >= 500 or exc.status == 429:
            self.streak += 1
            if self.streak >= OUTAGE_STREAK:
                raise PcoOutage(f"PCO failed {self.streak} writes in a row, last: {exc}",
                                status=exc.status, endpoint=exc.endpoint) from exc
        log.warning("%s %s %s refused: %s", op.operation, op.entity, op.key, exc)
        return Result(op, False, status=exc.status, detail=exc.detail, unsure=exc.maybe_applied)

    def _needs_services(self, op: Op) -> bool:
        """A first team assignment of a person the plan does not know to be in Services."""
        return self.services is not None and op.entity == "team_assignment" \
            and op.operation == "add" \
            and op.meta.get("in_services") is False \
            and op.meta.get("person") not in self.services.added

    def _add_to_services(self, op: Op) -> Result:
        """PCO needs the person in Services before an assignment: add them, then send it."""
        op.meta["services_added"] = True
        try:
            self.services.add(op.meta["person"])
        except PcoError as exc:
            if isinstance(exc, PcoOutage):
                raise
            return self._refused(op, exc)
        log.info("%s %s %s: person %s added to Services first", op.operation, op.entity,
                 op.key, op.meta["person"])
        return self._send(op)

    def _pretend(self, op: Op) -> Result:
        """Dry run: list the request (and any lookup before it, as _send decides); answer
        with a made-up id."""
        if op.lookup and (op.pending or op.method == "DELETE"):
            self.operations.append({"method": "GET", "path": lookups.describe(op),
                                    "body": None})
        if self.services and self._needs_services(op):
            self.services.added.add(op.meta["person"])
            self.operations.append(self.services.describe(op.meta["person"]))
        listed = op.describe()
        if op.method == "DELETE" and op.lookup:
            listed["path"] += f"/<membership of person {op.meta.get('person')}>"
        self.operations.append(listed)
        pco_id = op.pco_id or f"dry-run:{op.entity}:{op.key}"
        attrs = ((op.body or {}).get("data") or {}).get("attributes") or {}
        return Result(op, True, pco_id, response={"data": {"id": pco_id, "attributes": attrs}})
