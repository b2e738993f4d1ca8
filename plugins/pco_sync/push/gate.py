"""The push's safety gate. Before a push sends anything, its plans are counted: records it
would create, change or delete in PCO. More of one kind than max_changes, or (from
PUSH_GATE_MIN_CHANGES on) more than max_share of the linked records, is not what a 15-minute
run does: a sync scope reset, a local bulk import or a bug. Then nothing is sent and the run
stops with what it would have done, until a run says accept_mass_push.
"""
from __future__ import annotations

from dataclasses import dataclass

from pco_sync.limits import PUSH_GATE_MIN_CHANGES, PUSH_MAX_CHANGES, PUSH_MAX_SHARE
from pco_sync.push.ops import Op

WORDS = {"created": "create", "updated": "change", "deleted": "delete"}


@dataclass(frozen=True)
class Limits:
    max_changes: int = PUSH_MAX_CHANGES
    max_share: float = PUSH_MAX_SHARE


def kind_of(op: Op, kinds: dict | None = None) -> str:
    """created, updated or deleted: what the op does to its subject, for counts and the gate."""
    default = "created" if op.operation == "create" and op.entity in ("person", "family") \
        else "updated"
    return (kinds or {}).get((op.entity, op.operation), default)


def problems(push: str, ops: list[Op], linked: int, limits: Limits,
             kinds: dict | None = None) -> list[str]:
    """What is over the limits in the ops a push plans (empty: nothing)."""
    subjects: dict[str, set] = {}
    for op in ops:
        subjects.setdefault(kind_of(op, kinds), set()).add(op.subject)
    found = []
    for kind, records in subjects.items():
        n = len(records)
        over_count = n > limits.max_changes
        over_share = n >= PUSH_GATE_MIN_CHANGES and n > limits.max_share * linked
        if over_count or over_share:
            share = f" of {linked} linked ({n / linked:.0%})" if linked else ", none linked yet"
            bound = (f"more than {limits.max_changes}" if over_count else
                     f"more than {limits.max_share:.0%} of what is linked")
            found.append(f"push {push} would {WORDS[kind]} {n} records in PCO{share}, {bound}")
    return found


def message(found: list[str]) -> str:
    return ("push safety gate: " + "; ".join(found) + ". Nothing was sent to PCO. If this is "
            "right (a bulk import, a new sync scope), trigger a run with accept_mass_push=true; "
            "a dry run lists every request (dry_run=true). Limits: the Variables "
            "pco_sync_push_max_changes and pco_sync_push_max_share")
