"""The three pushes, in the order a run sends them, and what each is made of: its steps
(plan, save, whether creates are journaled), the sync.push_failures entities it settles, and
how it counts. Plans and saves are include/sql/push/<name>.sql; push.steps runs them.

people       creates the local people PCO lacks (remote_id = the local id, looked up only
             after a doubtful attempt), patches the changed fields of linked ones, then
             writes their emails, phone numbers and addresses.
families     local families become households with the members PCO has and the primary
             contact; linked ones get name and primary-contact patches and household
             memberships for members added or removed since agreed. Members are added before
             the patch, so a new primary contact is a member when named. A family's address
             is its primary contact's, which the people push sends.
memberships  local joins in groups PCO has become memberships (role, joined date), local
             leaves delete them.
team_assignments
             each position a local member of a PCO Services team holds becomes a person
             team position assignment (the person added to Services first when PCO says
             they are not in it: push.services); a local leave, or a position no longer
             listed, deletes it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from pco_sync import sqlfiles
from pco_sync.errors import PcoError
from pco_sync.pco.client import PcoClient
from pco_sync.push.settings import PushSettings
from pco_sync.push.steps import run_steps

ADDRESS_LINES_SINCE = "2023-03-21"  # People versions before this take one `street`


@dataclass(frozen=True)
class Push:
    name: str
    steps: tuple[tuple[str, str, bool], ...]  # (plan, save, journal creates)
    entities: tuple[str, ...]
    unchanged: str  # include/sql file counting the linked records not touched
    kinds: dict = field(default_factory=dict)  # (entity, operation) -> count it goes to


PUSHES: dict[str, Push] = {p.name: p for p in (
    Push("people", (("people_to_create", "save_people", True),
                    ("people_to_update", "save_people", False),
                    ("contacts_to_push", "save_contacts", True)),
         ("person", "email", "phone_number", "address"), "push/unchanged_people.sql"),
    Push("families", (("families_to_create", "save_families", True),
                      ("family_members_to_push", "save_families", False),
                      ("families_to_update", "save_families", False)),
         ("family", "family_member"), "push/unchanged_families.sql"),
    Push("memberships", (("memberships_to_push", "save_memberships", False),),
         ("group_membership",), "push/unchanged_memberships.sql",
         {("group_membership", "add"): "created", ("group_membership", "remove"): "deleted"}),
    Push("team_assignments", (("team_assignments_to_push", "save_team_assignments", True),),
         ("team_assignment",), "push/unchanged_team_assignments.sql",
         {("team_assignment", "add"): "created", ("team_assignment", "remove"): "deleted"}),
)}


def push(conn: psycopg.Connection, client: PcoClient | None, name: str, run_id: str,
         settings: PushSettings | None = None, *, full_push: bool = False,
         dry_run: bool = False, after_send=None, accept_mass_push: bool = False,
         progress=None) -> dict:
    """Run the push `name`: counts per subject (created, updated or deleted, unchanged,
    failed, skipped), skip reasons, requests made and, in a dry run, the operations. Over the
    safety gate's limits (settings.limits) it sends nothing and raises PushGateError, unless
    accept_mass_push. progress: see push.steps.run_steps."""
    spec = PUSHES[name]
    settings = settings or PushSettings()
    params = {"full_push": full_push}
    before = None
    if name == "people":
        if client is not None and client.versions.get("people", "") < ADDRESS_LINES_SINCE:
            raise PcoError(f"the push writes street_line_1/2: pin People >= {ADDRESS_LINES_SINCE}")
        params |= settings.sql_params()
        before = lambda: _scope(conn, settings)  # noqa: E731
    return run_steps(conn, client, run_id, list(spec.steps), params, dry_run=dry_run,
                     after_send=after_send, before=before, unchanged_sql=spec.unchanged,
                     entities=spec.entities, kinds=spec.kinds or None, name=name,
                     limits=settings.limits, accept_mass_push=accept_mass_push,
                     progress=progress)


def _scope(conn: psycopg.Connection, settings: PushSettings) -> None:
    """push_scope: the people a sync_groups scope allows (empty for "everyone")."""
    conn.execute(sqlfiles.read("push/scope_reset.sql"))
    if settings.everyone:
        return
    with conn.transaction():
        conn.execute(sqlfiles.read("push/scope_sync_groups.sql"),
                     {"groups": list(settings.sync_groups)})
