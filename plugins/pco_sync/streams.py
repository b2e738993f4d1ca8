"""What each PCO stream is: where it is read, what is side-loaded with it, and whether a run
reads a window of it or the whole of it (a snapshot). Pure data and pure functions: no
HTTP, no database, no Airflow, so the DAG can import it at parse time.

people      GET /people/v2/people?include=emails,phone_numbers,addresses&order=updated_at
            A window on updated_at (contact edits bump a person's updated_at). The window
            reaches OVERLAP back before the run's start, because offset paging ordered by
            updated_at is not a snapshot: a person edited mid-scan moves and can be skipped
            by the run that was reading them. Duplicates from the overlap are harmless
            (staging keeps one row per (run, person), the newest). A full refresh reads all.

households  GET /people/v2/households?include=people&order=updated_at
            Always a snapshot: adding or removing a member does not bump the household's (or
            the person's) updated_at (developers#1253), so no window could see it. A snapshot
            costs ceil(households / 100) requests, so it runs on full refreshes, on manual runs
            without a window, and on the scheduled run whose window contains a 6-hourly UTC
            boundary (00:00, 06:00, 12:00, 18:00): with 15-minute runs that is 4 runs a day,
            and a membership change reaches the church database within 6 hours.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

OVERLAP = timedelta(minutes=5)
HOUSEHOLDS_EVERY = timedelta(hours=6)
PER_PAGE = 100
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Stream:
    name: str
    path: str
    include: tuple[str, ...]
    incremental_field: str | None  # None: the stream is always read as a snapshot
    order: str = "updated_at"  # also what the client re-windows on past offset 30,000

    @property
    def table(self) -> str:
        return f"pco_staging.{self.name}"

    def mode(self, *, window: bool, full_refresh: bool) -> str:
        """'window' or 'snapshot' (the values pco_staging.extracts.mode allows)."""
        if self.incremental_field and window and not full_refresh:
            return "window"
        return "snapshot"

    def params(self, window_start=None, window_end=None, *, full_refresh: bool = False) -> dict:
        """The list query for one run (per_page is the client's)."""
        start, end = window_bounds(window_start, window_end)
        query = {"order": self.order}
        if self.include:
            query["include"] = ",".join(self.include)
        if self.mode(window=start is not None, full_refresh=full_refresh) == "window":
            f = self.incremental_field
            query[f"where[{f}][gte]"] = iso_z(start - OVERLAP)
            query[f"where[{f}][lt]"] = iso_z(end, ceil=True)
        return query


STREAMS: dict[str, Stream] = {
    "people": Stream("people", "/people/v2/people", ("emails", "phone_numbers", "addresses"),
                     "updated_at"),
    "households": Stream("households", "/people/v2/households", ("people",), None),
}


def get(name: str) -> Stream:
    try:
        return STREAMS[name]
    except KeyError:
        raise ValueError(f"unknown stream {name!r}; known: {', '.join(STREAMS)}") from None


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


def households_due(window_start, window_end, full_refresh: bool) -> bool:
    """Whether this run reads the households snapshot: on a full refresh, without a window,
    or when [window_start, window_end) contains a 6-hourly UTC boundary. Consecutive
    windows tile time, so exactly one scheduled run per boundary is due, and a backfill
    over a range re-reads households once per boundary it covers."""
    if full_refresh:
        return True
    start, end = window_bounds(window_start, window_end)
    if start is None:
        return True
    step = HOUSEHOLDS_EVERY.total_seconds()
    first_boundary = EPOCH + timedelta(seconds=math.ceil((start - EPOCH).total_seconds() / step)
                                       * step)
    return first_boundary < end
