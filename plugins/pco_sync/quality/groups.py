"""The frames of groups, memberships, calendar events and Services teams: which staged rows
each checks and the columns derived for its suite (include/gx/expectations/).

A membership whose person the church database does not have yet is not a failure: it waits
(pco_staging.waiting_memberships) for a later run. Checked is only what no later run can
mend: a record without an id, a membership without a person, a role PCO does not have,
times out of order.
"""
from __future__ import annotations

from pco_sync import sqlfiles
from pco_sync.quality.frames import Frame, as_text, column, stripped, time_ok, visible, when


def _derive(text_columns, names=("name",)):
    def derive(df):
        for c in text_columns:
            df[c] = column(df, c, as_text)
        df["id_value"] = column(df, "id", stripped)
        for c in names:
            df[f"{c}_value"] = column(df, c, visible)
        return df
    return derive


def _derive_groups(df):
    df = _derive(("id", "name", "archived_at"))(df)
    df["archived_ok"] = column(df, "archived_at", time_ok)
    return df


def _derive_memberships(df):
    df = _derive(("id", "role", "person", "listed_group", "fetched_for", "joined_at"), ())(df)
    df["person_value"] = column(df, "person", stripped)
    # PCO's case differs now and then ("Leader"): the suite's roles are lowercase
    df["role_value"] = column(df, "role", lambda v: v.strip().lower() if v else None)
    df["group_ok"] = [g is not None and g == f
                      for g, f in zip(df["listed_group"], df["fetched_for"])]
    df["joined_ok"] = column(df, "joined_at", time_ok)
    return df


def _derive_instances(df):
    df = _derive(("id", "event", "starts_at", "ends_at"), ())(df)
    df["event_value"] = column(df, "event", stripped)
    df["starts"] = column(df, "starts_at", when)
    ends = column(df, "ends_at", when)
    df["in_order"] = [e is None or (s is not None and e >= s) for s, e in zip(df["starts"], ends)]
    df["ends_ok"] = column(df, "ends_at", time_ok)
    return df


def _derive_assignments(df):
    df = _derive(("id", "person", "team_position"), ())(df)
    df["person_value"] = column(df, "person", stripped)
    df["position_value"] = column(df, "team_position", stripped)
    return df


def _derive_services_people(df):
    df = _derive(("id", "archived", "archived_type"), ())(df)
    df["archived_ok"] = [t in ("boolean", "null") for t in df["archived_type"]]
    return df


def _frame(name: str, derive, columns) -> tuple[Frame]:
    return (Frame(name, sqlfiles.read(f"quality/frame_{name}.sql"), derive, columns),)


FRAMES = {
    "groups": _frame("groups", _derive_groups, ("pco_id", "name", "archived_at")),
    "group_memberships": _frame(
        "group_memberships", _derive_memberships,
        ("pco_id", "role", "person", "listed_group", "fetched_for", "joined_at")),
    "events": _frame("events", _derive(("id", "name")), ("pco_id", "name")),
    "event_instances": _frame("event_instances", _derive_instances,
                              ("pco_id", "event", "starts_at", "ends_at")),
    "teams": _frame("teams", _derive(("id", "name")), ("pco_id", "name")),
    "team_assignments": _frame("team_assignments", _derive_assignments,
                               ("pco_id", "person", "team_position")),
    "services_people": _frame("services_people", _derive_services_people,
                              ("pco_id", "archived")),
}
