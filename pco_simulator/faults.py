"""Seeded fault injection per route: 5xx answers, slow answers, timeouts, dropped
connections and truncated JSON, each with a probability and an optional count."""
from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import asdict, dataclass

KINDS = ("error", "slow", "timeout", "drop", "truncate")


@dataclass
class Fault:
    kind: str  # one of KINDS
    path: str = "*"  # glob over the request path, e.g. "/people/v2/people*"
    method: str = "*"
    rate: float = 1.0  # probability per matching request
    count: int | None = None  # stop after this many injections (None: forever)
    status: int = 503  # for "error"
    delay: float = 2.0  # seconds, for "slow" (then answers) and "timeout" (then drops)
    fired: int = 0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not 0.0 <= float(self.rate) <= 1.0:
            raise ValueError("fault rate must be between 0 and 1")
        if self.kind == "error" and not 500 <= int(self.status) <= 599:
            raise ValueError("an error fault's status must be a 5xx code")


def parse_fault(rule) -> Fault:
    """A rule from JSON; anything malformed is a ValueError (the admin API's 400)."""
    if not isinstance(rule, dict):
        raise ValueError("a fault is an object with at least a kind")
    unknown = set(rule) - set(Fault.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
    if "kind" not in rule:
        raise ValueError(f"a fault needs a kind, one of {', '.join(KINDS)}")
    for k in ("rate", "delay", "status", "count"):  # checked here, not mid-request
        v = rule.get(k, 0)
        if (v is None and k != "count") or isinstance(v, bool) or \
                not isinstance(v, (int, float, type(None))):
            raise ValueError(f"fault {k} must be a number")
    return Fault(**{k: v for k, v in rule.items() if k != "fired"})


class Faults:
    def __init__(self, seed: int = 0):
        self.lock = threading.Lock()
        self.rules: list[Fault] = []
        self.rng = random.Random(seed)

    def set(self, rules: list[dict], seed: int | None = None) -> None:
        parsed = [parse_fault(r) for r in rules]
        with self.lock:
            self.rules = parsed
            if seed is not None:
                self.rng = random.Random(seed)

    def add(self, rule: dict) -> None:
        fault = parse_fault(rule)
        with self.lock:
            self.rules.append(fault)

    def clear(self) -> None:
        with self.lock:
            self.rules = []

    def pick(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for f in self.rules:
                if f.count is not None and f.fired >= f.count:
                    continue
                if f.method not in ("*", method) or not fnmatch.fnmatchcase(path, f.path):
                    continue
                if self.rng.random() < f.rate:
                    f.fired += 1
                    return f
        return None

    def describe(self) -> list[dict]:
        with self.lock:
            return [asdict(f) for f in self.rules]


async def drop_connection(send):
    """Close the socket without a response, like a proxy dropping the connection."""
    owner = getattr(send, "__self__", None)
    transport = getattr(owner, "transport", None)
    if transport is not None:
        transport.close()
        return
    raise ConnectionAbortedError("dropped by fault injection")
