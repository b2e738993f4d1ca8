"""Quality of staged groups, memberships, calendar events and Services teams: the row checks
(frames registered into quality.FRAMES) and the batch gates quality.gate() adds.

A membership whose person the church database does not have yet is not a failure: it waits
(pco_staging.waiting_memberships) for a later run. Checked here is only what no later run
can mend: a record without an id, a membership without a person, a role PCO does not
have, times out of order.

Gates, for this run's extracts: a snapshot of groups, teams, events or event instances
must hold at least half of what is linked locally (an outage answering empty pages); and
the memberships a snapshot would end must not exceed MAX_LEAVE_SHARE of the current ones
(at least MASS_LEAVE_MIN of them) unless the run says accept_mass_leaves. A group or team
PCO deleted (deleted_at set, or missing and a GET answered 404) ends its memberships without
counting here: that is PCO saying so, not a list read wrong.
"""
from __future__ import annotations

from datetime import datetime

from .quality import Check, Frame, _as_text, _column, _id_check, _stripped, _visible

MIN_SNAPSHOT_SHARE = 0.5
MAX_LEAVE_SHARE = 0.2
MASS_LEAVE_MIN = 10
ROLES = ["member", "leader"]


def _when(value):
    """A zone-aware ISO-8601 time, or None (missing or malformed)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _time_ok(value) -> bool:
    """Blank, or a time that parses."""
    return value is None or _when(value) is not None


def _derive(text_columns, names=("name",)):
    def derive(df, today):
        for c in text_columns:
            df[c] = _column(df, c, _as_text)
        df["id_value"] = _column(df, "id", _stripped)
        for c in names:
            df[f"{c}_value"] = _column(df, c, _visible)
        return df
    return derive


def _derive_memberships(df, today):
    df = _derive(("id", "role", "person", "listed_group", "fetched_for", "joined_at"), ())(df, today)
    df["person_value"] = _column(df, "person", _stripped)
    df["role_value"] = _column(df, "role", lambda v: v.strip().lower() if v else None)
    df["group_ok"] = [g is not None and g == f
                      for g, f in zip(df["listed_group"], df["fetched_for"])]
    df["joined_ok"] = _column(df, "joined_at", _time_ok)
    return df


def _derive_instances(df, today):
    df = _derive(("id", "event", "starts_at", "ends_at"), ())(df, today)
    df["event_value"] = _column(df, "event", _stripped)
    df["starts"] = _column(df, "starts_at", _when)
    ends = _column(df, "ends_at", _when)
    df["in_order"] = [e is None or (s is not None and e >= s) for s, e in zip(df["starts"], ends)]
    df["ends_ok"] = _column(df, "ends_at", _time_ok)
    return df


def _derive_assignments(df, today):
    df = _derive(("id", "person", "team_position"), ())(df, today)
    df["person_value"] = _column(df, "person", _stripped)
    df["position_value"] = _column(df, "team_position", _stripped)
    return df


def _not_null(name: str, detail: str, column: str) -> Check:
    return Check(name, detail, lambda E, today: [E.ExpectColumnValuesToNotBeNull(column=column)])


def _true(name: str, detail: str, column: str) -> Check:
    return Check(name, detail, lambda E, today: [
        E.ExpectColumnValuesToBeInSet(column=column, value_set=[True])])


def _rel(name: str) -> str:
    return f"staged.record -> 'relationships' -> '{name}' -> 'data' ->> 'id'"


FRAMES = {
    "groups": (Frame(
        "groups",
        """
        SELECT staged.pco_id, staged.record ->> 'id' AS id,
               staged.record -> 'attributes' ->> 'name' AS name,
               staged.record -> 'attributes' ->> 'archived_at' AS archived_at
        FROM pco_staging.groups AS staged WHERE staged.run_id = %(run_id)s
        """,
        lambda df, today: _derive(("id", "name", "archived_at"))(df, today).assign(
            archived_ok=lambda d: _column(d, "archived_at", _time_ok)),
        ("pco_id", "name", "archived_at"),
        (_id_check(), _not_null("name_present", "the group has no name", "name_value"),
         _true("archived_at_valid", "archived_at {archived_at!r} is not a time", "archived_ok")),
    ),),
    "group_memberships": (Frame(
        "group_memberships",
        f"""
        SELECT staged.pco_id, staged.record ->> 'id' AS id,
               staged.record -> 'attributes' ->> 'role' AS role,
               staged.record -> 'attributes' ->> 'joined_at' AS joined_at,
               {_rel('person')} AS person, {_rel('group')} AS listed_group,
               staged.record -> 'fetched_for' ->> 'id' AS fetched_for
        FROM pco_staging.group_memberships AS staged WHERE staged.run_id = %(run_id)s
        """,
        _derive_memberships,
        ("pco_id", "role", "person", "listed_group", "fetched_for", "joined_at"),
        (_id_check(),
         _not_null("person_present", "the membership names no person", "person_value"),
         _true("group_matches", "listed under group {fetched_for} but names {listed_group}",
               "group_ok"),
         Check("role_known", "role {role!r} is not one of " + ", ".join(ROLES),
               lambda E, today: [E.ExpectColumnValuesToNotBeNull(column="role_value"),
                                 E.ExpectColumnValuesToBeInSet(column="role_value",
                                                               value_set=ROLES)]),
         _true("joined_at_valid", "joined_at {joined_at!r} is not a time", "joined_ok")),
    ),),
    "events": (Frame(
        "events",
        """
        SELECT staged.pco_id, staged.record ->> 'id' AS id,
               staged.record -> 'attributes' ->> 'name' AS name
        FROM pco_staging.events AS staged WHERE staged.run_id = %(run_id)s
        """,
        _derive(("id", "name")),
        ("pco_id", "name"),
        (_id_check(), _not_null("name_present", "the event has no name", "name_value")),
    ),),
    "event_instances": (Frame(
        "event_instances",
        f"""
        SELECT staged.pco_id, staged.record ->> 'id' AS id, {_rel('event')} AS event,
               staged.record -> 'attributes' ->> 'starts_at' AS starts_at,
               staged.record -> 'attributes' ->> 'ends_at' AS ends_at
        FROM pco_staging.event_instances AS staged WHERE staged.run_id = %(run_id)s
        """,
        _derive_instances,
        ("pco_id", "event", "starts_at", "ends_at"),
        (_id_check(),
         _not_null("event_present", "the instance names no event", "event_value"),
         _not_null("starts_at_valid", "starts_at {starts_at!r} is not a time", "starts"),
         _true("ends_at_valid", "ends_at {ends_at!r} is not a time", "ends_ok"),
         _true("times_in_order", "ends {ends_at} before it starts {starts_at}", "in_order")),
    ),),
    "teams": (Frame(
        "teams",
        """
        SELECT staged.pco_id, staged.record ->> 'id' AS id,
               staged.record -> 'attributes' ->> 'name' AS name
        FROM pco_staging.teams AS staged WHERE staged.run_id = %(run_id)s
        """,
        _derive(("id", "name")),
        ("pco_id", "name"),
        (_id_check(), _not_null("name_present", "the team has no name", "name_value")),
    ),),
    "team_assignments": (Frame(
        "team_assignments",
        f"""
        SELECT staged.pco_id, staged.record ->> 'id' AS id, {_rel('person')} AS person,
               {_rel('team_position')} AS team_position
        FROM pco_staging.team_assignments AS staged WHERE staged.run_id = %(run_id)s
        """,
        _derive_assignments,
        ("pco_id", "person", "team_position"),
        (_id_check(),
         _not_null("person_present", "the assignment names no person", "person_value"),
         _not_null("position_present", "the assignment names no position", "position_value")),
    ),),
}


# ---- gates ------------------------------------------------------------------------------
SNAPSHOT_LINKED = {  # stream -> linked local rows a snapshot of it must mostly cover
    "groups": "SELECT count(*) FROM church.groups WHERE pco_type = 'Group' "
              "AND pco_id IS NOT NULL AND deleted_in_pco_at IS NULL",
    "teams": "SELECT count(*) FROM church.groups WHERE pco_type = 'Team' "
             "AND pco_id IS NOT NULL AND deleted_in_pco_at IS NULL",
    "events": "SELECT count(*) FROM church.events WHERE pco_id IS NOT NULL",
    "event_instances": "SELECT count(*) FROM church.event_occurrences "
                       "WHERE pco_id IS NOT NULL AND removed_in_pco_at IS NULL",
}

# Current PCO-backed memberships of one kind, and how many of them this run's snapshot
# would end: people no longer listed in a group read 'ok' (as 350_memberships_apply.sql).
LEAVES = """
WITH present AS (
    SELECT s.record -> 'fetched_for' ->> 'id' AS group_pco_id,
           s.record -> 'relationships' -> 'person' -> 'data' ->> 'id' AS person_pco_id
    FROM pco_staging.{stream} s
    WHERE s.run_id = %(run_id)s
),
current AS (
    SELECT g.pco_id AS group_pco_id, p.pco_id AS person_pco_id
    FROM church.group_memberships m
    JOIN church.groups g ON g.id = m.group_id AND g.pco_type = %(kind)s
                        AND g.deleted_in_pco_at IS NULL
    JOIN church.people p ON p.id = m.person_id
    WHERE m.ended_at IS NULL AND m.pco_id IS NOT NULL
)
SELECT count(*),
       count(*) FILTER (
           WHERE EXISTS (SELECT 1 FROM pco_staging.fetches f
                         WHERE f.run_id = %(run_id)s AND f.stream = %(stream)s
                           AND f.parent_pco_id = c.group_pco_id AND f.status = 'ok')
             AND NOT EXISTS (SELECT 1 FROM present pr
                             WHERE pr.group_pco_id = c.group_pco_id
                               AND pr.person_pco_id = c.person_pco_id))
FROM current c
"""
MEMBERSHIP_STREAMS = {"group_memberships": ("Group", "groups"),
                      "team_assignments": ("Team", "teams")}  # stream: (kind, parent stream)


def gate_problems(conn, run_id: str, extracted: list[tuple[str, str]], *,
                  accept_mass_leaves: bool = False) -> list[str]:
    """What is wrong with this run's groups, calendar and teams batch (empty: nothing)."""
    problems = []
    modes = dict(extracted)
    for stream, count_linked in SNAPSHOT_LINKED.items():
        if modes.get(stream) != "snapshot":
            continue
        linked = conn.execute(count_linked).fetchone()[0]
        staged = conn.execute(f"SELECT count(*) FROM pco_staging.{stream} WHERE run_id = %s",
                              (run_id,)).fetchone()[0]
        if linked and staged < MIN_SNAPSHOT_SHARE * linked:
            problems.append(
                f"the full {stream} pull returned {staged} records, but {linked} are linked to "
                f"PCO here; fewer than {MIN_SNAPSHOT_SHARE:.0%} looks like a PCO outage, not "
                f"deletions. Nothing was merged; re-run when PCO answers normally")
    for stream, (kind, parent) in MEMBERSHIP_STREAMS.items():
        if stream not in modes:
            continue
        current, ending = conn.execute(LEAVES.format(stream=stream), {
            "run_id": run_id, "kind": kind, "stream": stream}).fetchone()
        if ending >= MASS_LEAVE_MIN and ending > MAX_LEAVE_SHARE * current:
            if accept_mass_leaves:
                continue
            problems.append(
                f"this {parent} snapshot would end {ending} of {current} current memberships "
                f"({ending / current:.0%}), more than {MAX_LEAVE_SHARE:.0%} at once. Nothing "
                f"was merged; if PCO is right, trigger a run with accept_mass_leaves=true")
    return problems
