"""Row checks of groups, memberships, calendar events and Services teams.

A membership whose person the church database does not have yet is not a failure: it waits
(pco_staging.waiting_memberships) for a later run. Checked here is only what no later run
can mend: a record without an id, a membership without a person, a role PCO does not
have, times out of order.
"""
from __future__ import annotations

from pco_sync import sqlfiles
from pco_sync.quality.frames import (Check, Frame, as_text, column, id_check, not_null,
                                     stripped, time_ok, true, visible, when)

ROLES = ["member", "leader"]


def _derive(text_columns, names=("name",)):
    def derive(df, today):
        for c in text_columns:
            df[c] = column(df, c, as_text)
        df["id_value"] = column(df, "id", stripped)
        for c in names:
            df[f"{c}_value"] = column(df, c, visible)
        return df
    return derive


def _derive_groups(df, today):
    df = _derive(("id", "name", "archived_at"))(df, today)
    df["archived_ok"] = column(df, "archived_at", time_ok)
    return df


def _derive_memberships(df, today):
    df = _derive(("id", "role", "person", "listed_group", "fetched_for", "joined_at"), ())(df, today)
    df["person_value"] = column(df, "person", stripped)
    df["role_value"] = column(df, "role", lambda v: v.strip().lower() if v else None)
    df["group_ok"] = [g is not None and g == f
                      for g, f in zip(df["listed_group"], df["fetched_for"])]
    df["joined_ok"] = column(df, "joined_at", time_ok)
    return df


def _derive_instances(df, today):
    df = _derive(("id", "event", "starts_at", "ends_at"), ())(df, today)
    df["event_value"] = column(df, "event", stripped)
    df["starts"] = column(df, "starts_at", when)
    ends = column(df, "ends_at", when)
    df["in_order"] = [e is None or (s is not None and e >= s) for s, e in zip(df["starts"], ends)]
    df["ends_ok"] = column(df, "ends_at", time_ok)
    return df


def _derive_assignments(df, today):
    df = _derive(("id", "person", "team_position"), ())(df, today)
    df["person_value"] = column(df, "person", stripped)
    df["position_value"] = column(df, "team_position", stripped)
    return df


def _frame(name: str, derive, columns, checks) -> tuple[Frame]:
    return (Frame(name, sqlfiles.read(f"quality/frame_{name}.sql"), derive, columns, checks),)


FRAMES = {
    "groups": _frame(
        "groups", _derive_groups, ("pco_id", "name", "archived_at"),
        (id_check(), not_null("name_present", "the group has no name", "name_value"),
         true("archived_at_valid", "archived_at {archived_at!r} is not a time", "archived_ok"))),
    "group_memberships": _frame(
        "group_memberships", _derive_memberships,
        ("pco_id", "role", "person", "listed_group", "fetched_for", "joined_at"),
        (id_check(),
         not_null("person_present", "the membership names no person", "person_value"),
         true("group_matches", "listed under group {fetched_for} but names {listed_group}",
              "group_ok"),
         Check("role_known", "role {role!r} is not one of " + ", ".join(ROLES),
               lambda E, today: [E.ExpectColumnValuesToNotBeNull(column="role_value"),
                                 E.ExpectColumnValuesToBeInSet(column="role_value",
                                                               value_set=ROLES)]),
         true("joined_at_valid", "joined_at {joined_at!r} is not a time", "joined_ok"))),
    "events": _frame(
        "events", _derive(("id", "name")), ("pco_id", "name"),
        (id_check(), not_null("name_present", "the event has no name", "name_value"))),
    "event_instances": _frame(
        "event_instances", _derive_instances, ("pco_id", "event", "starts_at", "ends_at"),
        (id_check(),
         not_null("event_present", "the instance names no event", "event_value"),
         not_null("starts_at_valid", "starts_at {starts_at!r} is not a time", "starts"),
         true("ends_at_valid", "ends_at {ends_at!r} is not a time", "ends_ok"),
         true("times_in_order", "ends {ends_at} before it starts {starts_at}", "in_order"))),
    "teams": _frame(
        "teams", _derive(("id", "name")), ("pco_id", "name"),
        (id_check(), not_null("name_present", "the team has no name", "name_value"))),
    "team_assignments": _frame(
        "team_assignments", _derive_assignments, ("pco_id", "person", "team_position"),
        (id_check(),
         not_null("person_present", "the assignment names no person", "person_value"),
         not_null("position_present", "the assignment names no position", "position_value"))),
}
