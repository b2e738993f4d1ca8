"""Merge this run's staged PCO records of one resource into the church schema.

The resource's steps (include/sql/merge/, in the order the registry lists them) run inside
one transaction under the merge lock, so a failed merge leaves nothing half-done and two
runs never merge at once; its counts query gives one row of counts per summary row. The SQL
reads the run from current_setting('pco_sync.run_id'); steps hand each other temp tables
that are dropped at commit. After the steps, the church and sync tables the merge filled
are analyzed (merge/shared/analyze_written.sql), so the next merges (families read people)
do not plan on an empty table's statistics. After a merge, the streams this run read whole
count as fully synced (sync.full_syncs), so windowed runs may follow, and each merged
stream's pulls reach as far as this run read (sync.pulled_until), where a manual run reads
on from.

Conflict policies (the Variable pco_sync_conflict_policy, {field group: policy}) reach the
SQL as the transaction setting pco_sync.conflict_policy; sync.three_way_settled applies them
(include/sql/schema/071_conflict_policies.sql).

The people scope (pco_sync.pco.scope: the Variable pco_sync_people_scope, `all` or
`services_active`; docs/operating.md) decides which PCO people the people merge creates
here. `all` runs the steps the registry lists (and empties the list of people outside the
scope); `services_active` adds its steps to the people and households merges (SCOPE_STEPS)
and reads the scope from the latest whole read of Services people
(merge/people/scope_read.sql): without one, the people merge fails saying so.
"""
from __future__ import annotations

import json
import logging
from typing import Callable

import psycopg
from psycopg import sql

from pco_sync import church_db, sqlfiles
from pco_sync.errors import SettingsError
from pco_sync.pco import resources
from pco_sync.pco import scope as people_scopes
from pco_sync.progress import Progress

log = logging.getLogger(__name__)

POLICY_VARIABLE = "pco_sync_conflict_policy"
# The field groups (sync.conflict_group names the same) and what a policy may be.
POLICY_GROUPS = ("names", "birthdate_gender_status", "emails", "phone_numbers", "addresses",
                 "family")
POLICIES = ("manual", "pco_wins", "local_wins", "newest_wins")

# What each people scope adds to the merges: {step of the registry: step run right after it}.
SCOPE_STEPS = {
    people_scopes.ALL: {"people/merge.sql": "people/scope_unmark.sql"},
    people_scopes.SERVICES_ACTIVE: {"people/decided.sql": "people/scope.sql",
                                    "people/match.sql": "people/scope_match.sql",
                                    "people/merge.sql": "people/scope_marks.sql",
                                    "families/candidates.sql": "families/scope_match.sql"},
}


def conflict_policy(policy: dict | None) -> dict[str, str]:
    """`policy` checked: {group: policy}, groups left out are manual. SettingsError names the
    Variable and the bad key or value."""
    if policy is None:
        return {}
    if not isinstance(policy, dict):
        raise SettingsError(f"{POLICY_VARIABLE} must be a JSON object from field group to "
                            f"policy, not {policy!r}")
    for group, name in policy.items():
        if group not in POLICY_GROUPS:
            raise SettingsError(f"{POLICY_VARIABLE}: unknown field group {group!r} (groups: "
                                f"{', '.join(POLICY_GROUPS)})")
        if name not in POLICIES:
            raise SettingsError(f"{POLICY_VARIABLE}: unknown policy {name!r} for {group!r} "
                                f"(policies: {', '.join(POLICIES)})")
    return dict(policy)


def policy_from_variable(raw: str | None) -> dict[str, str]:
    """The Variable's text (None or blank: every group manual), parsed and checked."""
    if raw is None or not raw.strip():
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise SettingsError(f"{POLICY_VARIABLE} is not JSON ({exc}): {raw!r}") from None
    return conflict_policy(parsed)


def steps(res: resources.Resource, scope: str = people_scopes.ALL) -> list[str]:
    """The merge steps of `res` under the people scope, in order."""
    added = SCOPE_STEPS[scope]
    out = []
    for step in res.merge_steps:
        out.append(step)
        if step in added:
            out.append(added[step])
    return out


def _scope_read(conn: psycopg.Connection, setting: str) -> str:
    """The run whose whole read of Services people (and teams) the scope services_active
    comes from, set for the SQL as pco_sync.people_scope_run; SettingsError without one."""
    run = conn.execute(sqlfiles.read("merge/people/scope_read.sql")).fetchone()[0]
    if not run:
        raise SettingsError(
            f"{setting} is services_active, but PCO Services people were never read whole "
            "into this database: the scope comes from the teams resource's snapshot "
            "(GET /services/v2/people and team assignments). Read the teams resource (add "
            "teams to the resources this church syncs, or run by hand with teams), or set "
            f"{setting} to all. Nobody was merged.")
    return run


def _latest_copy(res: resources.Resource) -> dict | None:
    """The staging table and name of the stream whose older copies a merge of `res` leaves
    out (a webhook batch may have merged a newer one), as SQL; None without one."""
    if res.latest_copy is None:
        return None
    return {"table": sqlfiles.staging_table(res.latest_copy),
            "stream": sql.Literal(res.latest_copy)}


def merge(conn: psycopg.Connection, resource: str, run_id: str,
          policy: dict | None = None, people_scope: str | None = None,
          scope_setting: str = people_scopes.VARIABLE,
          progress: Callable[[dict], None] | None = None) -> dict[str, dict]:
    """Merge `resource` for `run_id`: {summary row: counts}, e.g. {"people": {"created": 3, ...}}.
    policy: conflict policies by field group (default: every group manual); people_scope:
    which PCO people the people merge creates (scope_setting: what an error calls it);
    progress: told which step of how many runs (pco_sync.progress): the rows a set-based
    step writes are only known when it ends."""
    res = resources.resource(resource)
    policies = conflict_policy(policy)
    scope = people_scopes.people_scope(people_scope, scope_setting)
    todo = steps(res, scope)
    told = Progress(f"merge {resource}", "steps", progress)
    church_db.use_run(conn, run_id)
    with conn.transaction():
        church_db.merge_lock(conn)
        conn.execute(sqlfiles.read("merge/shared/no_jit.sql"))
        conn.execute(sqlfiles.read("merge/shared/writes_before.sql"))
        conn.execute(sqlfiles.read("merge/shared/conflict_policy.sql"),
                     {"policy": json.dumps(policies)})
        copies = _latest_copy(res)
        if copies:
            conn.execute(sqlfiles.statement("merge/shared/outdated_copies.sql", **copies))
        if res.name == "people" and scope == people_scopes.SERVICES_ACTIVE:
            _scope_read(conn, scope_setting)
        for done, step in enumerate(todo):
            told.update(done, len(todo), statement=step)
            conn.execute(sqlfiles.read(f"merge/{step}"))
        conn.execute(sqlfiles.read("merge/shared/analyze_written.sql"))
        rows = conn.execute(sqlfiles.read(f"merge/{res.merge_counts}")).fetchall()
        conn.execute(sqlfiles.read("sync/record_full_syncs.sql"), {"streams": list(res.streams)})
        conn.execute(sqlfiles.read("sync/record_pulled_until.sql"), {"streams": list(res.streams)})
        if copies:
            conn.execute(sqlfiles.statement("sync/record_merged_copies.sql", **copies))
    counts = {row: {k: int(v) for k, v in values.items()} for row, values in rows}
    told.finish(len(todo), len(todo))
    log.info("merged %s: %s", resource, counts)
    return counts
