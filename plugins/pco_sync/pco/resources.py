"""The registry: what pco-sync reads from PCO and what becomes of it. Each resource (what the
`resources` Param names) is read as one or more streams, in order; `Resource.read()` is the
one place that decides whether a run reads a resource whole, by window, or not at all; the
resource also names the church rows its merge makes and its merge steps, in order. Pure
data and pure functions: no HTTP, no database, no Airflow, so the DAG builds its tasks
from it at parse time.

people      GET /people/v2/people?include=emails,phone_numbers,addresses&order=updated_at
            A window on updated_at (contact edits bump a person's updated_at). The window
            reaches OVERLAP back before the run's start, because offset paging ordered by
            updated_at is not a snapshot: a person edited mid-scan moves and can be skipped
            by the run that was reading them. Duplicates from the overlap are harmless
            (staging keeps one row per (run, person), the newest). A full refresh reads all,
            and so does the scheduled run holding 02:00 UTC: PCO says nothing of a person
            deleted there, only a whole read shows who is gone. (Sparse fieldsets would
            shrink those pages but not their number, and PCO's limit counts requests: an
            ids-only read would cost the same 1 request per 100 people.)

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

teams       GET /services/v2/folders and /services/v2/service_types (the tree teams are
            placed in), GET /services/v2/teams?include=team_positions,service_types, then
            GET /services/v2/teams/{id}/person_team_position_assignments per live team.
            A snapshot on the groups schedule (teams have no incremental filter). Deleted
            teams linger with deleted_at for 30 days: their assignments are not read.
            Folders and service types cost ceil(n / 100) requests each, usually one.
            Then GET /services/v2/people (ordered by created_at): who is in Services, read
            whole with the teams; the people scope services_active reads it (docs/operating.md).

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

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from pco_sync.errors import SettingsError
from pco_sync.pco.windows import boundary_in, iso_z, window_bounds

OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True)
class Read:
    """How one run reads a resource: whole (a snapshot), or the window [start, end)."""

    whole: bool
    start: datetime | None = None
    end: datetime | None = None
    why: str = ""  # said in the task log: "full refresh", "first sync", "window", ...

    @property
    def mode(self) -> str:
        """'snapshot' or 'window' (the values pco_staging.extracts.mode allows)."""
        return "snapshot" if self.whole else "window"


WHOLE = Read(True, why="whole")


def window(start, end) -> Read:
    """A read of [start, end) (datetimes or ISO-8601 strings)."""
    start, end = window_bounds(start, end)
    if start is None:
        return WHOLE
    return Read(False, start, end, "window")


@dataclass(frozen=True)
class Stream:
    name: str
    path: str
    include: tuple[str, ...]
    entity: str  # the church row (run summary) its records become
    windowed: bool = False  # has an updated_at/created_at filter; else always read whole
    order: str = "updated_at"  # also what the client re-windows on past offset 30,000
    # ("": no order parameter, PCO's default order by id, for lists PCO cannot order by a
    # time: service types order by name or sequence only, both of which move on an edit)
    # Read once per record of the `parent` stream staged in the same run; `path` holds
    # "{parent}" for its id (a group's memberships).
    parent: str | None = None
    filters: tuple[tuple[str, str], ...] = ()  # fixed query parameters
    # Local records linked to this stream (include/sql/linked/<name>.sql): a whole read must
    # account for them (the gates, and the extract's check of what a snapshot lacks).
    linked: bool = False
    # A linked record a whole read lacks is fetched by id: only a 404 proves it deleted (people
    # and households instead go to sync.removed_in_pco when a whole read passes the gates).
    confirm_gone: bool = False
    checked: bool = True  # has row checks (quality frames)

    def params(self, read: Read = WHOLE) -> dict:
        """The list query for one run (per_page is the client's)."""
        query = {"order": self.order} if self.order else {}
        query.update(self.filters)
        if self.include:
            query["include"] = ",".join(self.include)
        if self.windowed and not read.whole:
            query[f"where[{self.order}][gte]"] = iso_z(read.start - OVERLAP)
            query[f"where[{self.order}][lt]"] = iso_z(read.end, ceil=True)
        return query


STREAMS: dict[str, Stream] = {s.name: s for s in (
    Stream("people", "/people/v2/people", ("emails", "phone_numbers", "addresses"), "people",
           windowed=True, linked=True),
    # PCO's merge history, read with people on the same window (merges are never edited).
    Stream("person_mergers", "/people/v2/person_mergers", (), "people", windowed=True,
           order="created_at", checked=False),
    Stream("households", "/people/v2/households", ("people",), "families", linked=True),
    # Snapshots are ordered by created_at: unlike updated_at, it does not move mid-scan.
    Stream("groups", "/groups/v2/groups", ("group_type",), "groups", order="created_at",
           filters=(("where[archive_status]", "include"),), linked=True, confirm_gone=True),
    Stream("group_memberships", "/groups/v2/groups/{parent}/memberships", (),
           "group_memberships", order="joined_at", parent="groups"),
    Stream("events", "/calendar/v2/events", (), "events", windowed=True, linked=True,
           confirm_gone=True),
    Stream("event_instances", "/calendar/v2/event_instances", ("event",), "event_occurrences",
           windowed=True, linked=True, confirm_gone=True),
    # Services folders and service types, the tree teams are placed in (a few dozen: one
    # page each). No row checks: a nameless one is named by its PCO id in the merge, so a
    # team's place never waits on a quarantine.
    Stream("folders", "/services/v2/folders", (), "services_departments", order="",
           checked=False),
    Stream("service_types", "/services/v2/service_types", (), "services_departments",
           order="", checked=False),
    Stream("teams", "/services/v2/teams", ("team_positions", "service_types"), "teams",
           order="created_at", linked=True, confirm_gone=True),
    Stream("team_assignments", "/services/v2/teams/{parent}/person_team_position_assignments",
           (), "team_memberships", order="created_at", parent="teams"),
    # Who is in Services (people scope services_active: include/sql/merge/people/scope.sql).
    Stream("services_people", "/services/v2/people", (), "teams", order="created_at"),
)}


@dataclass(frozen=True)
class Resource:
    """What the `resources` Param selects: streams extracted together, in order, and when;
    the church rows its merge makes and the merge's steps (include/sql/merge/), in order.
    snapshot_every: a resource read only whole is due when the window holds a boundary;
    refresh_every: a windowed resource reads everything when the window holds a boundary;
    latest_copy: the stream webhook batches merge too, whose older copies are left out of a
    merge once a newer one is in (merge/shared/outdated_copies.sql)."""

    name: str
    streams: tuple[str, ...]
    rows: tuple[str, ...]
    merge_steps: tuple[str, ...]
    merge_counts: str  # a query of (summary row, counts object)
    snapshot_every: timedelta | None = None
    refresh_every: timedelta | None = None
    offset: timedelta = timedelta(0)
    latest_copy: str | None = None

    def read(self, window_start=None, window_end=None, *, full_refresh: bool = False,
             manual: bool = False, first_sync: bool = False) -> Read | None:
        """How this run reads the resource; None: not due this run.

        A full refresh, a run without a window, or the first sync of the resource (never
        pulled whole into this database: day one, scheduled or not) reads whole. A resource
        read only whole (snapshot_every) reads on manual runs and on the scheduled run whose
        window holds its boundary. A windowed one reads its window, except whole on its
        periodic refresh."""
        start, end = window_bounds(window_start, window_end)
        if full_refresh:
            return Read(True, why="full refresh")
        if start is None:
            return Read(True, why="no data interval")
        if first_sync:
            return Read(True, why="first sync: never pulled whole into this database")
        if self.snapshot_every is not None:
            if manual:
                return Read(True, why="manual run")
            if boundary_in(start, end, self.snapshot_every, self.offset):
                return Read(True, why=f"the snapshot due every {self.snapshot_every}")
            return None
        if self.refresh_every is not None and boundary_in(start, end, self.refresh_every,
                                                          self.offset):
            return Read(True, why=f"the refresh due every {self.refresh_every}")
        return Read(False, start, end, "window")

    @property
    def checked_streams(self) -> tuple[str, ...]:
        return tuple(s for s in self.streams if STREAMS[s].checked)


HOUSEHOLDS_EVERY = timedelta(hours=6)
GROUPS_EVERY = timedelta(hours=6)
GROUPS_OFFSET = timedelta(minutes=30)
EVENTS_REFRESH_EVERY = timedelta(days=1)
EVENTS_REFRESH_AT = timedelta(hours=3)
# People are read whole once a day as well: PCO tells no one about a deleted person, and
# only a whole read shows who is gone (then sync.removed_in_pco, and no push to them).
PEOPLE_REFRESH_EVERY = timedelta(days=1)
PEOPLE_REFRESH_AT = timedelta(hours=2)

# In merge order: families need their people, memberships their people and groups.
RESOURCES: dict[str, Resource] = {r.name: r for r in (
    Resource("people", ("people", "person_mergers"), ("people",), (
        "shared/field_checks.sql",
        "people/follow_pco_merges.sql",
        "people/decided.sql",
        "people/candidates.sql",
        "people/repair_duplicates.sql",
        "people/match.sql",
        "people/merge.sql",
        "people/contacts_compare.sql",
        "people/apply_emails.sql",
        "people/apply_phone_numbers.sql",
        "people/apply_addresses.sql",
        "people/contacts_agreed.sql",
        "shared/record_conflicts.sql",
        "people/removed.sql",
    ), "people/counts.sql", refresh_every=PEOPLE_REFRESH_EVERY, offset=PEOPLE_REFRESH_AT,
       latest_copy="people"),
    Resource("households", ("households",), ("families",), (
        "shared/field_checks.sql",
        "families/candidates.sql",
        "families/merge.sql",
        "families/members.sql",
        "shared/record_conflicts.sql",
        "families/removed.sql",
    ), "families/counts.sql", snapshot_every=HOUSEHOLDS_EVERY, latest_copy="households"),
    Resource("groups", ("groups", "group_memberships"), ("groups", "group_memberships"), (
        "groups/stage.sql",
        "groups/merge.sql",
        "groups/memberships_stage.sql",
        "shared/memberships_apply.sql",
    ), "groups/counts.sql", snapshot_every=GROUPS_EVERY, offset=GROUPS_OFFSET),
    Resource("teams", ("folders", "service_types", "teams", "team_assignments",
                       "services_people"),
             ("services_departments", "teams", "team_memberships"), (
        "teams/stage.sql",
        "teams/structure_stage.sql",
        "teams/structure_departments.sql",
        "teams/structure_places.sql",
        "teams/structure_apply.sql",
        "teams/team_departments.sql",
        "teams/merge.sql",
        "teams/memberships_stage.sql",
        "shared/memberships_apply.sql",
        "teams/assignments.sql",
    ), "teams/counts.sql", snapshot_every=GROUPS_EVERY, offset=GROUPS_OFFSET),
    Resource("events", ("events", "event_instances"), ("events", "event_occurrences"), (
        "events/stage.sql",
        "events/merge.sql",
        "events/occurrences.sql",
        "events/dates.sql",
    ), "events/counts.sql", refresh_every=EVENTS_REFRESH_EVERY, offset=EVENTS_REFRESH_AT),
)}


def resource(name: str) -> Resource:
    try:
        return RESOURCES[name]
    except KeyError:
        raise ValueError(f"unknown resource {name!r}; known: {', '.join(RESOURCES)}") from None


def stream(name: str) -> Stream:
    try:
        return STREAMS[name]
    except KeyError:
        raise ValueError(f"unknown stream {name!r}; known: {', '.join(STREAMS)}") from None


def entity_rows() -> tuple[str, ...]:
    """Every summary row the merges make, in merge order."""
    return tuple(row for r in RESOURCES.values() for row in r.rows)


def names(value, setting: str) -> list[str]:
    """Resource names from a setting (a JSON list, or names separated by commas), in
    registry order; SettingsError naming the setting for anything else."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = json.loads(text) if text.startswith("[") else \
                [v.strip() for v in text.split(",") if v.strip()]
        except ValueError:
            raise SettingsError(f"{setting} is not a JSON list of resources: {value!r}") from None
    if not isinstance(value, list) or not value:
        raise SettingsError(f"{setting} must list at least one of {', '.join(RESOURCES)}")
    unknown = [v for v in value if v not in RESOURCES]
    if unknown:
        raise SettingsError(f"{setting}: unknown resource {', '.join(map(str, unknown))}; "
                            f"known: {', '.join(RESOURCES)}")
    return [r for r in RESOURCES if r in value]
