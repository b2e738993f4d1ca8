"""Time windows as PCO filters read them: UTC datetimes, ISO-8601 with 'Z' in whole seconds,
and whether a window holds a periodic boundary (a 6-hourly snapshot, a daily refresh)."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def as_utc(value) -> datetime | None:
    """A datetime (naive means UTC; pendulum's DateTime is one) or an ISO-8601 string."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime or ISO-8601 string, got {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def window_bounds(window_start, window_end) -> tuple[datetime | None, datetime | None]:
    start, end = as_utc(window_start), as_utc(window_end)
    if (start is None) != (end is None):
        raise ValueError("give both window_start and window_end, or neither")
    if start is not None and end < start:
        raise ValueError(f"window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    return start, end


def iso_z(value: datetime, *, ceil: bool = False) -> str:
    """Full UTC ISO-8601 with 'Z', whole seconds (PCO reads a bare date in the church's
    time zone). `ceil` rounds up so an exclusive end never drops its last second."""
    value = as_utc(value)
    if ceil and value.microsecond:
        value = value.replace(microsecond=0) + timedelta(seconds=1)
    return value.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def boundary_in(start: datetime, end: datetime, every: timedelta, offset=timedelta(0)) -> bool:
    """Whether [start, end) holds a time EPOCH + offset + k * every. Consecutive windows tile
    time, so exactly one of them holds each boundary (and a backfill over a range re-reads
    once per boundary it covers)."""
    step = every.total_seconds()
    origin = EPOCH + offset
    first = origin + timedelta(seconds=math.ceil((start - origin).total_seconds() / step) * step)
    return first < end
