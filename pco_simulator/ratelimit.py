"""PCO's rate limit: N requests per period per credential, counted in windows, with a
stricter bucket for deep offsets. Rejected requests count too ("118 of 100")."""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from .config import SimConfig


@dataclass
class Decision:
    allowed: bool
    count: int
    limit: int
    period: float
    retry_after: float

    def headers(self) -> dict[str, str]:
        return {"X-PCO-API-Request-Rate-Limit": str(self.limit),
                "X-PCO-API-Request-Rate-Period": fmt_seconds(self.period),
                "X-PCO-API-Request-Rate-Count": str(self.count)}


def fmt_seconds(s: float) -> str:
    """Whole seconds as PCO writes them; a scaled window keeps its fraction."""
    return f"{float(s):.3f}".rstrip("0").rstrip(".")  # 7.000000000000001 -> "7", not "7."


class Window:
    __slots__ = ("start", "count")

    def __init__(self):
        self.start, self.count = 0.0, 0


class RateLimiter:
    def __init__(self, config: SimConfig, clock=time.monotonic):
        self.config, self.clock = config, clock
        self.lock = threading.Lock()
        self.windows: dict[tuple[str, str], Window] = {}

    def reset(self) -> None:
        with self.lock:
            self.windows.clear()

    def _hit(self, key: tuple[str, str], limit: int, now: float, period: float) -> Decision:
        w = self.windows.setdefault(key, Window())
        if now - w.start >= period:
            w.start, w.count = now, 0
        w.count += 1
        return Decision(w.count <= limit, w.count, limit, period,
                        max(w.start + period - now, 0.0))

    def hit(self, credential: str, deep: bool = False) -> Decision:
        cfg = self.config
        period = cfg.effective_period
        with self.lock:
            now = self.clock()
            main = self._hit((credential, "all"), cfg.rate_limit, now, period)
            if deep:
                strict = self._hit((credential, "deep"), cfg.deep_offset_limit, now, period)
                # A deep request answers with the stricter bucket's figures, so a client
                # pacing from the headers sees the limit that applies to it.
                return main if not main.allowed else strict
            return main


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds))) if seconds >= 1 else fmt_seconds(
        max(round(seconds, 3), 0.001))
