"""How far a long step is (a read from PCO, a push), told at a steady pace: a plain dict for
whoever runs the step (the Airflow task pushes it as an XCom for the Sync summary tab) and a
line in the log. No Airflow here.

Every report has done, total (None: unknown), unit, started and updated (ISO-8601 UTC),
left (seconds, None: unknown) and final, plus the step's own figures (stream, pages, ...).
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Callable

log = logging.getLogger(__name__)

EVERY = 2.0  # seconds between reports: often enough to watch, never one per record


class Progress:
    """Reports of one step: update() as work is done (most calls report nothing), then
    finish() once with the final figures."""

    def __init__(self, name: str, unit: str, report: Callable[[dict], None] | None = None, *,
                 every: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.name, self.unit, self.report = name, unit, report
        self.every = EVERY if every is None else every
        self.clock = clock
        self.started = datetime.now(timezone.utc)
        self.began = clock()
        self.last: float | None = None  # the first update reports at once: the total shows early

    def update(self, done: int, total: int | None, **figures) -> None:
        now = self.clock()
        if self.last is not None and now - self.last < self.every:
            return
        self.last = now
        self._tell(done, total, False, now, figures)

    def finish(self, done: int, total: int | None, **figures) -> None:
        self._tell(done, total, True, self.clock(), figures)

    def _tell(self, done: int, total: int | None, final: bool, now: float, figures: dict) -> None:
        left = seconds_left(done, total, now - self.began)
        figures = {"step": self.name, **figures, "done": done, "total": total,
                   "unit": self.unit, "started": self.started.isoformat(),
                   "updated": datetime.now(timezone.utc).isoformat(),
                   "left": None if final else left, "final": final}
        log.info("%s", line(figures))
        if self.report is not None:
            self.report(figures)


def seconds_left(done: int, total: int | None, elapsed: float) -> float | None:
    """The time the rest takes at the rate so far (None: no total, or no rate yet)."""
    if total is None or done <= 0 or elapsed <= 0:
        return None
    return max(total - done, 0) * elapsed / done


def line(figures: dict) -> str:
    """'people: 12 pages, 2,400 of 8,000 records staged (30%), about 30 s left'."""
    done, total = figures["done"], figures["total"]
    parts = [count(figures[k], k) for k in ("pages", "requests") if figures.get(k) is not None]
    pct = share(done, total)
    parts.append(f"{amount(done, total)} {figures['unit']}" + (f" ({pct})" if pct else ""))
    text = f"{figures['step']}: " + ", ".join(parts)
    if figures.get("final"):
        return text + ", done"
    if figures.get("left") is not None:
        text += f", about {duration(figures['left'])} left"
    return text


def amount(done: int, total: int | None) -> str:
    """'2,400 of 8,000', or '2,400' without a total."""
    return f"{done:,} of {total:,}" if total is not None else f"{done:,}"


def share(done: int, total: int | None) -> str | None:
    """'30%' (None without a total)."""
    return f"{100 * done // total}%" if total else None


def count(n: int, noun: str) -> str:
    """'1 page', '2,400 pages' (noun: the plural)."""
    return f"{n:,} {noun[:-1] if n == 1 else noun}"


def duration(seconds: float) -> str:
    """'40 s', '12 min', '2 h 5 min': as a person reads an estimate."""
    seconds = round(seconds)
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"
