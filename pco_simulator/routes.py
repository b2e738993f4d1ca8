"""PCO's routes: which paths exist, what each lists or shows, and which writes PCO allows.

A route is a path template, the table it serves, how to find its records from the path,
and the writes it takes. Anything PCO answers 403 for (creating groups or calendar
events) is answered 403 here too.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Callable

from . import validate
from .errors import ApiError, forbidden, forbidden_attribute, not_found, validation
from .oauth import PRODUCT_SCOPES, Principal, default_user_id, subscription_out_of_scope
from .query import matcher, parse, sort_key
from .schema import ADDRESS_LINES_SINCE, RESOURCES, Resource
from .serialize import Renderer
from .store import NotFound, Store


@dataclass
class Ctx:
    store: Store
    renderer: Renderer
    path: str
    params: list[tuple[str, str]]
    args: dict[str, str]
    body: bytes = b""
    principal: Principal | None = None  # None: every record (internal callers)


@dataclass
class Route:
    template: str
    table: str
    kind: str  # "list" | "member" | "org"
    scope: Callable[[Ctx], tuple[list[dict] | None, dict]] | None = None  # records, parent
    create: Callable[[Ctx, dict], dict] | None = None
    update: bool = False
    delete: Callable[[Ctx, dict], None] | None = None
    forbid: dict[str, str] = field(default_factory=dict)  # method -> action word for 403
    regex: re.Pattern = field(init=False)

    def __post_init__(self):
        self.regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
                                + "/?$")


# ---- scopes: what a list route covers and its meta.parent -----------------------------------
def org_parent(ctx: Ctx) -> dict:
    return {"id": ctx.store.config.organization_id, "type": "Organization"}


def everything(ctx: Ctx, table: str):
    return None, org_parent(ctx)


def children_of(parent_table: str, arg: str, table: str, fk: str):
    def scope(ctx: Ctx):
        parent = _get(ctx.store, parent_table, ctx.args[arg])
        return ctx.store.children(table, fk, parent["id"]), {
            "id": parent["id"], "type": RESOURCES[parent_table].type}
    return scope


def via(parent_table: str, arg: str, join: str, mine: str, theirs: str, table: str):
    def scope(ctx: Ctx):
        parent = _get(ctx.store, parent_table, ctx.args[arg])
        rows = [ctx.store.find(table, j[theirs]) for j in ctx.store.children(join, mine,
                                                                             parent["id"])]
        return [r for r in rows if r], {"id": parent["id"],
                                        "type": RESOURCES[parent_table].type}
    return scope


def team_assignments(ctx: Ctx):
    team = _get(ctx.store, "teams", ctx.args["team_id"])
    return ctx.store.children("person_team_position_assignments", "team_id", team["id"]), \
        {"id": team["id"], "type": "Team"}


def _get(store: Store, table: str, rid: str) -> dict:
    try:
        return store.get(table, rid)
    except NotFound:
        raise not_found() from None


# ---- creates --------------------------------------------------------------------------------
def create_person(ctx: Ctx, data: dict) -> dict:
    attrs = validate.attributes(RESOURCES["people"], data, creating=True)
    if not (attrs.get("first_name") or "").strip() and not (attrs.get("last_name") or "").strip():
        raise validation("First name or last name must be present", "first_name", "Person")
    attrs.setdefault("status", "active")
    attrs.setdefault("child", False)
    attrs.setdefault("site_administrator", False)
    attrs.setdefault("accounting_administrator", False)
    attrs.setdefault("passed_background_check", False)
    avatar = "https://people.planningcenteronline.com/static/no_photo_thumbnail_gray.svg"
    attrs.setdefault("avatar", avatar)
    attrs.setdefault("demographic_avatar_url", avatar)
    if attrs["status"] == "inactive" and not attrs.get("inactivated_at"):
        attrs["inactivated_at"] = ctx.store.now_iso()
    return ctx.store.insert("people", attrs)


def create_contact(table: str):
    def create(ctx: Ctx, data: dict) -> dict:
        person = _get(ctx.store, "people", ctx.args["person_id"])
        attrs = validate.attributes(RESOURCES[table], data, creating=True)
        if table == "phone_numbers":
            attrs.update(phone_forms(attrs["number"]))
        if table == "addresses":
            attrs.setdefault("country_code", "US")
            attrs["country_name"] = "United States" if attrs["country_code"] == "US" else None
        attrs.setdefault("primary", not ctx.store.children(table, "person_id", person["id"]))
        if table == "emails":
            attrs.setdefault("blocked", False)
        rec = ctx.store.insert(table, {**attrs, "person_id": person["id"]})
        ctx.store.touch_person(person["id"])
        return rec
    return create


def phone_forms(number: str) -> dict:
    digits = re.sub(r"\D", "", (number or "").split("x")[0].split("ext")[0])
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return {"e164": None, "national": None, "international": None, "country_code": "US"}
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return {"e164": f"+1{digits}", "national": f"({a}) {b}-{c}",
            "international": f"+1 {a}-{b}-{c}", "country_code": "US"}


def create_household(ctx: Ctx, data: dict) -> dict:
    attrs = validate.attributes(RESOURCES["households"], data, creating=True)
    people = validate.relationship_ids(data, "people", many=True)
    primary = validate.relationship_ids(data, "primary_contact", many=False) \
        or attrs.get("primary_contact_id")
    if not people:
        raise validation("People can't be blank", "people", "Household")
    if not primary:
        raise validation("Primary contact can't be blank", "primary_contact", "Household")
    for pid in people:
        if ctx.store.find("people", pid) is None:
            raise validation(f"Person {pid} does not exist", "people", "Household")
    if primary not in people:
        raise validation("Primary contact must be one of the household's people",
                         "primary_contact", "Household")
    hh = ctx.store.create_household(attrs.get("name"), people, primary)
    if ctx.store.config.quirks.household_create_null_member_count:
        ctx.null_member_count = True  # type: ignore[attr-defined]
    return hh


def _person_from(ctx: Ctx, data: dict, resource: str) -> dict:
    pid = validate.relationship_ids(data, "person", many=False) or \
        (data.get("attributes") or {}).get("person_id")
    if not pid:
        raise validation("Person can't be blank", "person_id", resource)
    person = ctx.store.find("people", pid)
    if person is None:
        raise validation("Person must exist", "person_id", resource)
    return person


def create_household_membership(ctx: Ctx, data: dict) -> dict:
    hh = _get(ctx.store, "households", ctx.args["household_id"])
    person = _person_from(ctx, data, "HouseholdMembership")
    attrs = {k: v for k, v in (data.get("attributes") or {}).items() if k != "person_id"}
    pending = validate.attributes(RESOURCES["household_memberships"], {"attributes": attrs},
                                  creating=True).get("pending", False)
    try:
        return ctx.store.add_household_member(hh["id"], person["id"], pending=bool(pending))
    except ValueError:
        raise validation("Person has already been taken", "person_id",
                         "HouseholdMembership") from None


def create_group_membership(ctx: Ctx, data: dict) -> dict:
    group = _get(ctx.store, "groups", ctx.args["group_id"])
    attrs = validate.attributes(RESOURCES["memberships"], data, creating=False)
    if not attrs.get("person_id"):
        attrs["person_id"] = _person_from(ctx, data, "Membership")["id"]
    if ctx.store.find("people", attrs["person_id"]) is None:
        raise validation("Person must exist", "person_id", "Membership")
    try:
        return ctx.store.add_group_member(group["id"], attrs["person_id"],
                                          attrs.get("role") or "member", attrs.get("joined_at"))
    except ValueError:
        # PCO allows one active membership per person per group.
        raise validation("Person has already been taken", "person_id", "Membership") from None


def create_team(ctx: Ctx, data: dict) -> dict:
    attrs = validate.attributes(RESOURCES["teams"], data, creating=True)
    attrs.setdefault("schedule_to", "plan")
    attrs.setdefault("default_status", "U")
    return ctx.store.insert("teams", attrs)


def create_assignment(ctx: Ctx, data: dict) -> dict:
    team = _get(ctx.store, "teams", ctx.args["team_id"])
    pos = _get(ctx.store, "team_positions", ctx.args["team_position_id"])
    if pos["team_id"] != team["id"]:
        raise not_found()
    return _insert_assignment(ctx, team, pos, data)


def _insert_assignment(ctx: Ctx, team: dict, pos: dict, data: dict) -> dict:
    person = _person_from(ctx, data, "PersonTeamPositionAssignment")
    attrs = {k: v for k, v in (data.get("attributes") or {}).items() if k != "person_id"}
    attrs = validate.attributes(RESOURCES["person_team_position_assignments"],
                                {"attributes": attrs}, creating=False)
    for a in ctx.store.children("person_team_position_assignments", "team_position_id",
                                pos["id"]):
        if a["person_id"] == person["id"]:
            raise validation("Person has already been taken", "person_id",
                             "PersonTeamPositionAssignment")
    return ctx.store.insert("person_team_position_assignments", {
        **attrs, "person_id": person["id"], "team_position_id": pos["id"],
        "team_id": team["id"], "preferred_weeks": attrs.get("preferred_weeks") or []})


# ---- Services structure, assignments through service types, people in Services ------------
def service_type_holds(store: Store, service_type_id, team_id) -> bool:
    team = store.find("teams", team_id)
    return team is not None and str(service_type_id) in store.team_service_type_ids(team)


def _position_under_service_type(ctx: Ctx) -> dict:
    """The team position named in the path, 404 unless the service type holds its team."""
    st = _get(ctx.store, "service_types", ctx.args["service_type_id"])
    pos = _get(ctx.store, "team_positions", ctx.args["team_position_id"])
    if not service_type_holds(ctx.store, st["id"], pos["team_id"]):
        raise not_found()
    return pos


def team_service_types(ctx: Ctx):
    team = _get(ctx.store, "teams", ctx.args["team_id"])
    rows = [ctx.store.find("service_types", i) for i in ctx.store.team_service_type_ids(team)]
    return [r for r in rows if r], {"id": team["id"], "type": "Team"}


def service_type_teams(ctx: Ctx):
    st = _get(ctx.store, "service_types", ctx.args["service_type_id"])
    return ctx.store.teams_of_service_type(st["id"]), {"id": st["id"], "type": "ServiceType"}


def service_type_positions(ctx: Ctx):
    st = _get(ctx.store, "service_types", ctx.args["service_type_id"])
    rows = [p for t in ctx.store.teams_of_service_type(st["id"])
            for p in ctx.store.children("team_positions", "team_id", t["id"])]
    return rows, {"id": st["id"], "type": "ServiceType"}


def position_assignments(ctx: Ctx):
    pos = _position_under_service_type(ctx)
    return ctx.store.children("person_team_position_assignments", "team_position_id",
                              pos["id"]), {"id": pos["id"], "type": "TeamPosition"}


def create_service_type_team(ctx: Ctx, data: dict) -> dict:
    st = _get(ctx.store, "service_types", ctx.args["service_type_id"])
    attrs = validate.attributes(RESOURCES["teams"], data, creating=True)
    attrs.setdefault("schedule_to", "plan")
    attrs.setdefault("default_status", "U")
    return ctx.store.insert("teams", {**attrs, "service_type_id": st["id"],
                                      "service_type_ids": [st["id"]]})


def create_service_type_assignment(ctx: Ctx, data: dict) -> dict:
    """PCO's create endpoint for assignments. The person must be in Services (have the
    Services person_app): otherwise 422 "must exist" on `person` (developers#1417, #1328)."""
    pos = _position_under_service_type(ctx)
    pid = validate.relationship_ids(data, "person", many=False) or \
        (data.get("attributes") or {}).get("person_id")
    if pid in (None, ""):
        raise validation("Person can't be blank", "person_id", "PersonTeamPositionAssignment")
    if isinstance(pid, bool) or not ctx.store.in_services(str(pid)):
        raise validation("must exist", "person", "PersonMinistryPosition")
    body = dict(data)
    body["attributes"] = {**(data.get("attributes") or {}), "person_id": str(pid)}
    body.pop("relationships", None)
    return _insert_assignment(ctx, _get(ctx.store, "teams", pos["team_id"]), pos, body)


ST_ASSIGNMENTS = ("/services/v2/service_types/{service_type_id}/team_positions/"
                  "{team_position_id}/person_team_position_assignments")


def service_type_links(route: Route, ctx: Ctx, doc: dict | None) -> dict | None:
    """Assignments read or written under a service type link to that URL (their own URL
    there); the same records under /services/v2/teams keep the team URL."""
    if doc is None or not route.template.startswith(ST_ASSIGNMENTS):
        return doc
    base = ctx.renderer.base + ST_ASSIGNMENTS.format(
        service_type_id=ctx.args["service_type_id"],
        team_position_id=ctx.args["team_position_id"])
    items = doc["data"] if isinstance(doc.get("data"), list) else [doc.get("data")]
    for item in items:
        if item and item.get("type") == "PersonTeamPositionAssignment":
            item.setdefault("links", {})["self"] = f"{base}/{item['id']}"
    return doc


def create_person_app(ctx: Ctx, data: dict) -> dict:
    """POST /people/v2/people/{id}/person_apps: the app as attribute `app_id` (developers#1328)
    or as relationship `app` (developers#219)."""
    person = _get(ctx.store, "people", ctx.args["person_id"])
    app_id = validate.relationship_ids(data, "app", many=False)
    if app_id is None:
        attrs = validate.attributes(RESOURCES["person_apps"], data, creating=False)
        app_id = attrs.get("app_id")
    if not app_id:
        raise validation("App can't be blank", "app_id", "PersonApp")
    if ctx.store.find("apps", app_id) is None:
        raise validation("App must exist", "app", "PersonApp")
    try:
        return ctx.store.add_person_app(person["id"], app_id)
    except ValueError:
        raise validation("App has already been taken", "app_id", "PersonApp") from None


def sees_subscription(principal: Principal | None, sub: dict) -> bool:
    """An OAuth token sees the subscriptions its user made through its application
    (developers#1274: subscriptions are per connected user); a personal access token sees
    those not made through OAuth."""
    if principal is None:
        return True
    if principal.oauth:
        return sub.get("oauth_client_id") == principal.client_id and \
            str(sub.get("oauth_user_id")) == str(principal.user_id)
    return not sub.get("oauth_client_id")


def visible_subscriptions(ctx: Ctx):
    rows = [s for s in ctx.store.tables["webhook_subscriptions"].values()
            if sees_subscription(ctx.principal, s)]
    return rows, org_parent(ctx)


def create_subscription(ctx: Ctx, data: dict) -> dict:
    import secrets
    attrs = validate.attributes(RESOURCES["webhook_subscriptions"], data, creating=True)
    if attrs["name"] not in set(r["name"] for r in available_events(ctx.store)):
        raise validation("Name is not an available event", "name", "WebhookSubscription")
    p = ctx.principal
    if p is not None and p.oauth:
        product = attrs["name"].split(".")[0]
        if PRODUCT_SCOPES.get(product, product) not in p.scopes:
            raise subscription_out_of_scope(attrs["name"], p.scopes)
    for sub in ctx.store.tables["webhook_subscriptions"].values():
        if sub["name"] == attrs["name"] and sub["url"] == attrs["url"] \
                and sees_subscription(p, sub):
            raise validation("Name has already been taken for this url", "name",
                             "WebhookSubscription")
    attrs.setdefault("active", True)
    attrs["authenticity_secret"] = secrets.token_hex(32)
    attrs["application_id"] = ctx.store.config.app_id
    if p is not None and p.oauth:
        attrs.update(application_id=p.client_id, oauth_client_id=p.client_id,
                     oauth_user_id=p.user_id)
    return ctx.store.insert("webhook_subscriptions", attrs)


def available_events(store: Store) -> list[dict]:
    import hashlib
    from .schema import WEBHOOK_EVENT_NAMES
    out = []
    for name in WEBHOOK_EVENT_NAMES:
        app, version, kind, resource, action = name.split(".")
        out.append({"id": hashlib.md5(name.encode()).hexdigest(), "name": name, "app": app,
                    "version": version, "type": kind, "resource": resource, "action": action})
    return out


# ---- deletes --------------------------------------------------------------------------------
def plain_delete(table: str):
    def delete(ctx: Ctx, rec: dict) -> None:
        ctx.store.delete(table, rec["id"])
        if rec.get("person_id") and table in ("emails", "phone_numbers", "addresses"):
            ctx.store.touch_person(rec["person_id"])
    return delete


def route_table() -> list[Route]:
    R = Route
    contacts = []
    for t in ("emails", "phone_numbers", "addresses"):
        contacts += [
            R(f"/people/v2/people/{{person_id}}/{t}", t, "list",
              children_of("people", "person_id", t, "person_id"), create=create_contact(t)),
            R(f"/people/v2/{t}", t, "list", lambda c, t=t: everything(c, t)),
            R(f"/people/v2/{t}/{{id}}", t, "member", update=True, delete=plain_delete(t)),
        ]
    return [
        R("/people/v2", "organization", "org"),
        R("/people/v2/people", "people", "list", lambda c: everything(c, "people"),
          create=create_person),
        # The person the credentials act as (the user who connected, for OAuth).
        R("/people/v2/me", "people", "member", forbid={"POST": "create", "PATCH": "update",
                                                      "DELETE": "destroy"}),
        R("/people/v2/people/{id}", "people", "member", update=True,
          delete=lambda c, r: c.store.delete_person(r["id"])),
        *contacts,
        R("/people/v2/people/{person_id}/households", "households", "list",
          via("people", "person_id", "household_memberships", "person_id", "household_id",
              "households")),
        R("/people/v2/people/{person_id}/household_memberships", "household_memberships",
          "list", children_of("people", "person_id", "household_memberships", "person_id")),
        R("/people/v2/households", "households", "list", lambda c: everything(c, "households"),
          create=create_household),
        R("/people/v2/households/{id}", "households", "member", update=True,
          delete=lambda c, r: c.store.delete_household(r["id"])),
        R("/people/v2/households/{household_id}/people", "people", "list",
          via("households", "household_id", "household_memberships", "household_id",
              "person_id", "people")),
        R("/people/v2/households/{household_id}/household_memberships",
          "household_memberships", "list",
          children_of("households", "household_id", "household_memberships", "household_id"),
          create=create_household_membership),
        R("/people/v2/households/{household_id}/household_memberships/{id}",
          "household_memberships", "member", update=True,
          delete=lambda c, r: c.store.remove_household_member(r["household_id"],
                                                              r["person_id"])),
        R("/people/v2/person_mergers", "person_mergers", "list",
          lambda c: everything(c, "person_mergers")),
        R("/people/v2/person_mergers/{id}", "person_mergers", "member"),
        R("/groups/v2/groups", "groups", "list", lambda c: everything(c, "groups"),
          forbid={"POST": "create"}),
        R("/groups/v2/groups/{id}", "groups", "member", update=True,
          forbid={"DELETE": "destroy"}),
        R("/groups/v2/groups/{group_id}/memberships", "memberships", "list",
          children_of("groups", "group_id", "memberships", "group_id"),
          create=create_group_membership),
        R("/groups/v2/groups/{group_id}/memberships/{id}", "memberships", "member",
          update=True, delete=lambda c, r: c.store.remove_group_member(r["group_id"],
                                                                       r["person_id"])),
        R("/groups/v2/group_types", "group_types", "list",
          lambda c: everything(c, "group_types"), forbid={"POST": "create"}),
        R("/groups/v2/group_types/{id}", "group_types", "member"),
        R("/groups/v2/group_types/{group_type_id}/groups", "groups", "list",
          children_of("group_types", "group_type_id", "groups", "group_type_id")),
        R("/calendar/v2/events", "events", "list", lambda c: everything(c, "events"),
          forbid={"POST": "create"}),
        R("/calendar/v2/events/{id}", "events", "member",
          forbid={"PATCH": "update", "DELETE": "destroy"}),
        R("/calendar/v2/events/{event_id}/event_instances", "event_instances", "list",
          children_of("events", "event_id", "event_instances", "event_id")),
        R("/calendar/v2/event_instances", "event_instances", "list",
          lambda c: everything(c, "event_instances"), forbid={"POST": "create"}),
        R("/calendar/v2/event_instances/{id}", "event_instances", "member",
          forbid={"PATCH": "update", "DELETE": "destroy"}),
        R("/services/v2/teams", "teams", "list", lambda c: everything(c, "teams"),
          create=create_team),
        R("/services/v2/teams/{id}", "teams", "member", update=True,
          delete=lambda c, r: c.store.delete_team(r["id"])),
        R("/services/v2/teams/{team_id}/service_types", "service_types", "list",
          team_service_types),
        R("/services/v2/teams/{team_id}/team_positions", "team_positions", "list",
          children_of("teams", "team_id", "team_positions", "team_id")),
        R("/services/v2/teams/{team_id}/team_positions/{id}", "team_positions", "member"),
        R("/services/v2/teams/{team_id}/person_team_position_assignments",
          "person_team_position_assignments", "list", team_assignments),
        R("/services/v2/teams/{team_id}/team_positions/{team_position_id}"
          "/person_team_position_assignments", "person_team_position_assignments", "list",
          children_of("team_positions", "team_position_id",
                      "person_team_position_assignments", "team_position_id"),
          create=create_assignment),
        R("/services/v2/teams/{team_id}/team_positions/{team_position_id}"
          "/person_team_position_assignments/{id}", "person_team_position_assignments",
          "member", update=True, delete=plain_delete("person_team_position_assignments")),
        R("/people/v2/apps", "apps", "list", lambda c: everything(c, "apps"),
          forbid={"POST": "create"}),
        R("/people/v2/apps/{id}", "apps", "member"),
        R("/people/v2/people/{person_id}/person_apps", "person_apps", "list",
          children_of("people", "person_id", "person_apps", "person_id"),
          create=create_person_app),
        R("/people/v2/people/{person_id}/person_apps/{id}", "person_apps", "member",
          delete=lambda c, r: c.store.remove_person_app(r["id"])),
        R("/services/v2/folders", "folders", "list", lambda c: everything(c, "folders"),
          forbid={"POST": "create"}),
        R("/services/v2/folders/{id}", "folders", "member"),
        R("/services/v2/folders/{folder_id}/folders", "folders", "list",
          children_of("folders", "folder_id", "folders", "parent_id")),
        R("/services/v2/folders/{folder_id}/service_types", "service_types", "list",
          children_of("folders", "folder_id", "service_types", "parent_id")),
        R("/services/v2/service_types", "service_types", "list",
          lambda c: everything(c, "service_types"), forbid={"POST": "create"}),
        R("/services/v2/service_types/{id}", "service_types", "member"),
        R("/services/v2/service_types/{service_type_id}/teams", "teams", "list",
          service_type_teams, create=create_service_type_team),
        R("/services/v2/service_types/{service_type_id}/team_positions", "team_positions",
          "list", service_type_positions),
        R("/services/v2/service_types/{service_type_id}/team_positions/{team_position_id}"
          "/person_team_position_assignments", "person_team_position_assignments", "list",
          position_assignments, create=create_service_type_assignment),
        R("/services/v2/service_types/{service_type_id}/team_positions/{team_position_id}"
          "/person_team_position_assignments/{id}", "person_team_position_assignments",
          "member", update=True, delete=plain_delete("person_team_position_assignments")),
        R("/services/v2/people", "services_people", "list",
          lambda c: everything(c, "services_people"), forbid={"POST": "create"}),
        R("/services/v2/people/{id}", "services_people", "member",
          forbid={"PATCH": "update", "DELETE": "destroy"}),
        R("/services/v2/people/{person_id}/person_team_position_assignments",
          "person_team_position_assignments", "list",
          children_of("services_people", "person_id", "person_team_position_assignments",
                      "person_id")),
        R("/webhooks/v2/available_events", "available_events", "list",
          lambda c: (available_events(c.store), org_parent(c))),
        R("/webhooks/v2/webhook_subscriptions", "webhook_subscriptions", "list",
          visible_subscriptions, create=create_subscription),
        R("/webhooks/v2/webhook_subscriptions/{id}", "webhook_subscriptions", "member",
          update=True, delete=plain_delete("webhook_subscriptions")),
    ]


def legacy_address(table: str, data: dict, version: str) -> dict:
    """Before People 2023-03-21 an address had one `street`; newer ones two lines."""
    attrs = data.get("attributes")
    if table != "addresses" or not isinstance(attrs, dict):
        return data
    if version < ADDRESS_LINES_SINCE and "street" in attrs:
        lines = str(attrs.pop("street") or "").split("\n", 1)
        attrs["street_line_1"] = lines[0]
        attrs["street_line_2"] = lines[1] if len(lines) > 1 else None
    return data


class Api:
    """Answers one PCO request: (status, document or None)."""

    def __init__(self, store: Store):
        self.store = store
        self.routes = route_table()
        self._cache: dict = {}

    def match(self, path: str) -> tuple[Route, dict] | None:
        for route in self.routes:
            m = route.regex.match(path)
            if m:
                return route, m.groupdict()
        return None

    def handle(self, method: str, path: str, params, body: bytes, renderer: Renderer,
               principal: Principal | None = None):
        found = self.match(path)
        if found is None:
            raise not_found()
        route, args = found
        if route.template == "/people/v2/me":
            args = {"id": (principal.user_id if principal is not None and principal.user_id
                           else default_user_id(self.store))}
        res = RESOURCES[route.table]
        ctx = Ctx(self.store, renderer, path, params, args, body, principal)
        with self.store.lock:
            if route.table == "teams":
                self.store.purge_lingering_teams()
            if method in route.forbid:
                raise forbidden(route.forbid[method], res.type)
            if method == "GET":
                return 200, service_type_links(route, ctx, self._get(route, res, ctx))
            if method == "POST" and route.kind == "list" and route.create:
                data = legacy_address(route.table, validate.payload(body), renderer.version)
                rec = route.create(ctx, data)
                doc = renderer.single(res, rec, (), self._parent(route, rec, ctx))
                if getattr(ctx, "null_member_count", False):
                    doc["data"]["attributes"]["member_count"] = None
                return 201, service_type_links(route, ctx, doc)
            if method == "PATCH" and route.kind == "member" and route.update:
                rec = self._member(route, ctx)
                data = legacy_address(route.table, validate.payload(body), renderer.version)
                changes = validate.attributes(res, data, creating=False)
                if route.table == "phone_numbers" and "number" in changes:
                    changes.update(phone_forms(changes["number"]))
                if route.table == "memberships" and "person_id" in changes:
                    raise validation("Person cannot be changed", "person_id", res.type)
                if route.table == "person_team_position_assignments" and "person_id" in changes:
                    raise forbidden_attribute("person_id")
                if route.table == "people" and changes.get("status") == "inactive" \
                        and not rec.get("inactivated_at"):
                    changes.setdefault("inactivated_at", self.store.now_iso())
                rec = self.store.update(route.table, rec["id"], changes)
                if route.table in ("emails", "phone_numbers", "addresses"):
                    self.store.touch_person(rec["person_id"])
                return 200, service_type_links(route, ctx, renderer.single(
                    res, rec, (), self._parent(route, rec, ctx)))
            if method == "DELETE" and route.kind == "member" and route.delete:
                route.delete(ctx, self._member(route, ctx))
                return 204, None
            if method in ("POST", "PATCH", "DELETE"):
                word = {"POST": "create", "PATCH": "update", "DELETE": "destroy"}[method]
                raise forbidden(word, res.type)
            raise ApiError(405, "Method Not Allowed", f"{method} is not supported here")

    def _member(self, route: Route, ctx: Ctx) -> dict:
        if route.table == "available_events":
            raise not_found()
        rec = _get(self.store, route.table, ctx.args["id"])
        if route.table == "webhook_subscriptions" and not sees_subscription(ctx.principal, rec):
            raise not_found()
        for arg, value in ctx.args.items():  # nested paths must agree with the record
            if arg == "service_type_id":  # a service type holds the record's team
                if not service_type_holds(self.store, value, rec.get("team_id")):
                    raise not_found()
            elif arg != "id" and str(rec.get(arg)) != value:
                raise not_found()
        return rec

    def _parent(self, route: Route, rec: dict, ctx: Ctx) -> dict:
        for arg, table in (("person_id", "people"), ("household_id", "households"),
                           ("group_id", "groups"), ("team_id", "teams"),
                           ("team_position_id", "team_positions"),
                           ("service_type_id", "service_types"), ("folder_id", "folders")):
            if arg in ctx.args:
                return {"id": ctx.args[arg], "type": RESOURCES[table].type}
        return org_parent(ctx)

    def _get(self, route: Route, res: Resource, ctx: Ctx) -> dict:
        r = ctx.renderer
        if route.kind == "org":
            q = parse(ctx.params, res, listing=False)
            org = self.store.organization()
            doc = r.single(res, org, q.include, {})
            doc["meta"].pop("parent", None)
            return doc
        q = parse(ctx.params, res, listing=route.kind == "list")
        if route.kind == "member":
            rec = self._member(route, ctx)
            return r.single(res, rec, q.include, self._parent(route, rec, ctx))
        rows = self._rows(route, res, ctx, q)
        page = rows[q.offset:q.offset + q.per_page]
        _, parent = route.scope(ctx)
        return r.listing(res, page, len(rows), q, ctx.path, parent)

    def _rows(self, route: Route, res: Resource, ctx: Ctx, q) -> list[dict]:
        """Filtered and ordered records. Cached per store version, so paging a long
        list is cheap; with the not-a-snapshot quirk on, a write between pages shows."""
        snapshot = not self.store.config.quirks.offset_not_snapshot
        key = (route.template, tuple(sorted(ctx.args.items())), q.cache_key(),
               ctx.renderer.version,
               ctx.principal.credential if ctx.principal and route.table ==
               "webhook_subscriptions" else None)
        version = None if snapshot else tuple(sorted(self.store.versions.items()))
        hit = self._cache.get(key)
        if snapshot and q.offset == 0:
            hit = None  # a new scan starts a new snapshot
        if hit and (hit[0] == version if not snapshot else time.monotonic() - hit[2] < 600):
            return hit[1]
        rows, _ = route.scope(ctx)
        if rows is None:
            rows = list(self.store.tables[route.table].values())
        value = lambda rec, a: ctx.renderer.value(res, rec, a)  # noqa: E731
        tz = self.store.config.time_zone
        where = list(q.where)
        if route.table == "groups" and not any(w[0] == "archive_status" for w in where):
            # PCO lists only groups that are not archived unless asked (developers#781).
            where.append(("archive_status", None, "not_archived"))
        for attr, op, raw in where:
            pred = matcher(res, attr, op, raw, tz, value)
            rows = [x for x in rows if pred(x)]
        order = q.order or ("id", False)
        rows = sorted(rows, key=sort_key(order[0], value), reverse=order[1])
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[key] = (version, rows, time.monotonic())
        return rows

