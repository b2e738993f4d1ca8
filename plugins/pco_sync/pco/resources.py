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

Groups, calendar and Services teams are read as resources of two streams each (RESOURCES);
the `resources` Param of the DAG names resources.

groups      GET /groups/v2/groups?include=group_type&where[archive_status]=include
            then GET /groups/v2/groups/{id}/memberships for every group listed.
            Always a snapshot: groups have no updated_at (#780) and a leave destroys the
            membership (#1498), so joins and leaves are only seen by diffing a whole
            group's list. PCO hides archived groups unless asked (#781): asked, so an
            archived group is marked, not mistaken for a deleted one. The snapshot costs
            ceil(groups / 100) + one request per group (more for groups over 100 members),
            so it runs on full refreshes, manual runs and the scheduled run whose window
            holds a 6-hourly boundary shifted by 30 minutes (00:30, 06:30, 12:30, 18:30 UTC;
            households keep the round hours, so no run pays for both). Each group's read
            is recorded in pco_staging.fetches: only a group read 'ok' gets joins and leaves.

teams       GET /services/v2/teams?include=team_positions, then
            GET /services/v2/teams/{id}/person_team_position_assignments per live team.
            A snapshot on the groups schedule (teams have no incremental filter). Deleted
            teams linger with deleted_at for 30 days: their assignments are not read.

events      GET /calendar/v2/events and /calendar/v2/event_instances?include=event,
            windows on updated_at every run (plus OVERLAP) and a full refresh once a day,
            on the scheduled run whose window holds 03:00 UTC: a name or location edit may
            not bump an instance's updated_at (#1385), and a deleted event is only seen as
            missing from a full read.

A snapshot that misses a record linked locally is not yet proof it is gone (offset paging
skips records that move mid-scan): the extract GETs each missing record, and only a 404
(pco_staging.gone) lets the merge mark a group deleted or unlink an event.
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
    # Read once per record of the `parent` stream staged in the same run; `path` holds
    # "{parent}" for its id (a group's memberships).
    parent: str | None = None
    filters: tuple[tuple[str, str], ...] = ()  # fixed query parameters

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
        query = {"order": self.order, **dict(self.filters)}
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
    # Read with people, on the same window by created_at (merges are never edited).
    "person_mergers": Stream("person_mergers", "/people/v2/person_mergers", (), "created_at",
                             order="created_at"),
    # Snapshots are ordered by created_at: unlike updated_at, it does not move mid-scan.
    "groups": Stream("groups", "/groups/v2/groups", ("group_type",), None, order="created_at",
                     filters=(("where[archive_status]", "include"),)),
    "group_memberships": Stream("group_memberships", "/groups/v2/groups/{parent}/memberships",
                                (), None, order="joined_at", parent="groups"),
    "events": Stream("events", "/calendar/v2/events", (), "updated_at"),
    "event_instances": Stream("event_instances", "/calendar/v2/event_instances", ("event",),
                              "updated_at"),
    "teams": Stream("teams", "/services/v2/teams", ("team_positions",), None,
                    order="created_at"),
    "team_assignments": Stream(
        "team_assignments", "/services/v2/teams/{parent}/person_team_position_assignments", (),
        None, order="created_at", parent="teams"),
}


@dataclass(frozen=True)
class Resource:
    """What the `resources` Param selects: streams extracted together, in order, and when.
    snapshot_every: a snapshot-only resource is due when the window holds a boundary;
    refresh_every: a windowed resource reads everything when the window holds a boundary."""

    name: str
    streams: tuple[str, ...]
    snapshot_every: timedelta | None = None
    refresh_every: timedelta | None = None
    offset: timedelta = timedelta(0)


GROUPS_EVERY = timedelta(hours=6)
GROUPS_OFFSET = timedelta(minutes=30)
EVENTS_REFRESH_EVERY = timedelta(days=1)
EVENTS_REFRESH_AT = timedelta(hours=3)

RESOURCES: dict[str, Resource] = {
    "people": Resource("people", ("people",)),
    "households": Resource("households", ("households",), snapshot_every=HOUSEHOLDS_EVERY),
    "groups": Resource("groups", ("groups", "group_memberships"), snapshot_every=GROUPS_EVERY,
                       offset=GROUPS_OFFSET),
    "events": Resource("events", ("events", "event_instances"),
                       refresh_every=EVENTS_REFRESH_EVERY, offset=EVENTS_REFRESH_AT),
    "teams": Resource("teams", ("teams", "team_assignments"), snapshot_every=GROUPS_EVERY,
                      offset=GROUPS_OFFSET),
}


def resource(name: str) -> Resource:
    try:
        return RESOURCES[name]
    except KeyError:
        raise ValueError(f"unknown resource {name!r}; known: {', '.join(RESOURCES)}") from None


def staged_streams(resources) -> list[str]:
    """The staging streams of the named resources, in registry order."""
    wanted = {resource(r).name for r in resources}
    return [s for r in RESOURCES.values() if r.name in wanted for s in r.streams]


def resource_due(name: str, window_start, window_end, full_refresh: bool) -> bool:
    """Whether a scheduled run reads the resource at all (windowed ones: always)."""
    res = resource(name)
    if res.snapshot_every is None or full_refresh:
        return True
    start, end = window_bounds(window_start, window_end)
    return start is None or boundary_in(start, end, res.snapshot_every, res.offset)


def refresh_due(name: str, window_start, window_end) -> bool:
    """Whether a windowed resource reads everything in this run (its periodic full refresh)."""
    res = resource(name)
    start, end = window_bounds(window_start, window_end)
    if res.refresh_every is None or start is None:
        return False
    return boundary_in(start, end, res.refresh_every, res.offset)


def boundary_in(start: datetime, end: datetime, every: timedelta, offset=timedelta(0)) -> bool:
    """Whether [start, end) holds a time EPOCH + offset + k * every."""
    step = every.total_seconds()
    origin = EPOCH + offset
    first = origin + timedelta(seconds=math.ceil((start - origin).total_seconds() / step) * step)
    return first < end


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
