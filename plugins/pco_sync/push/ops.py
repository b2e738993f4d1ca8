"""What the push sends and what came of it: an Op is one write a plan row asks for; a Result
is its outcome, as push_results (include/sql/push/create_results.sql) stores it."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

RESULT_COLUMNS = ("entity", "key", "operation", "local_id", "subject", "ok", "unsure",
                  "found", "pco_id", "method", "path", "status", "detail", "sent", "meta", "response")


@dataclass
class Op:
    """One write, as a plan row describes it."""

    entity: str
    key: str
    operation: str
    method: str
    path: str
    body: dict | None
    local_id: int | None = None
    subject: int | None = None  # the record counted in the summary (person, family, ...)
    pco_id: str | None = None  # the PCO record written, when it exists already
    sent: dict | None = None  # what the agreed state becomes on success
    meta: dict = field(default_factory=dict)  # what lookups need (remote_id, person, ...)
    lookup: str | None = None  # push.lookups strategy to find an earlier attempt's result
    pending: bool = False  # journaled by an attempt whose outcome was never saved

    @classmethod
    def from_row(cls, row: dict) -> "Op":
        return cls(**{k: row.get(k) for k in (
            "entity", "key", "operation", "method", "path", "body", "local_id", "subject",
            "pco_id", "sent", "lookup")}, meta=row.get("meta") or {},
            pending=bool(row.get("pending")))

    @property
    def ident(self) -> tuple[str, str, str]:
        return self.entity, self.key, self.operation

    def describe(self) -> dict:
        return {"method": self.method, "path": self.path, "body": self.body}


@dataclass
class Result:
    op: Op
    ok: bool
    pco_id: str | None = None
    status: int | None = None
    detail: str | None = None
    response: dict | None = None
    unsure: bool = False  # may have been applied: keep the journal row
    found: bool = False  # not sent: an earlier attempt's record, found by a lookup

    def row(self) -> tuple:
        o = self.op
        dump = lambda v: None if v is None else json.dumps(v)  # noqa: E731
        return (o.entity, o.key, o.operation, o.local_id, o.subject, self.ok, self.unsure,
                self.found, self.pco_id, o.method, o.path, self.status, self.detail, dump(o.sent),
                dump(o.meta), dump(self.response))
