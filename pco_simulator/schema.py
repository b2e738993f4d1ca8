"""What each simulated PCO resource looks like: its JSON:API type, attributes, what can be
written, queried, ordered and included. Taken from the recordings in shared/pco-samples
(People 2018-08-01 as recorded) and PCO's published docs for the newer versions.

Records are stored flat (attributes and foreign keys side by side, ids as strings); this
module only describes them, the store and serializer act on the description.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Latest version per app, what X-PCO-API-Processed-As-Version answers when none is asked.
LATEST_VERSIONS = {
    "people": "2025-11-10",
    "groups": "2023-07-10",
    "calendar": "2022-07-07",
    "services": "2018-11-01",
    "webhooks": "2022-10-20",
}
# People renamed Address.street to street_line_1/street_line_2 in this version.
ADDRESS_LINES_SINCE = "2023-03-21"


@dataclass(frozen=True)
class Include:
    """How `include=<name>` is resolved: records of `table` whose `fk` equals this
    record's id (to-many), or the record named by this record's `fk` field (to-one).
    `via` names a join table for many-to-many (household memberships)."""

    table: str
    fk: str
    many: bool = True
    via: tuple[str, str, str] | None = None  # (join table, my fk in it, their fk in it)
    id_list: bool = False  # `fk` names a list of ids on this record (a team's service_types)


@dataclass(frozen=True)
class Resource:
    type: str
    table: str
    app: str
    self_path: str  # format with the record's fields, e.g. "/people/v2/emails/{id}"
    attributes: tuple[str, ...]
    assignable: frozenset[str] = frozenset()
    required: tuple[str, ...] = ()
    to_one: dict[str, tuple[str, str]] = field(default_factory=dict)  # rel -> (type, fk)
    includes: dict[str, Include] = field(default_factory=dict)
    can_include: tuple[str, ...] = ()  # what meta.can_include lists (may list more than modelled)
    can_filter: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()
    query_by: tuple[str, ...] = ()
    timestamps: bool = True
    member_links: tuple[str, ...] = ()  # extra link names on a single-record answer
    integer_attrs: frozenset[str] = frozenset()
    boolean_attrs: frozenset[str] = frozenset()
    date_attrs: frozenset[str] = frozenset()
    datetime_attrs: frozenset[str] = frozenset(("created_at", "updated_at"))
    enums: dict[str, tuple] = field(default_factory=dict)


PERSON_ATTRS = (
    "accounting_administrator", "anniversary", "avatar", "birthdate", "child", "created_at",
    "demographic_avatar_url", "first_name", "gender", "given_name", "grade", "graduation_year",
    "inactivated_at", "last_name", "medical_notes", "membership", "middle_name", "name",
    "nickname", "passed_background_check", "people_permissions", "remote_id", "school_type",
    "site_administrator", "status", "updated_at",
)
PERSON_QUERY = (
    "given_name", "first_name", "nickname", "middle_name", "last_name", "birthdate",
    "anniversary", "gender", "grade", "child", "school_type", "graduation_year",
    "site_administrator", "accounting_administrator", "people_permissions", "membership",
    "inactivated_at", "status", "created_at", "updated_at", "remote_id",
)

RESOURCES: dict[str, Resource] = {}


def _add(r: Resource) -> Resource:
    RESOURCES[r.table] = r
    return r


ORGANIZATION = _add(Resource(
    type="Organization", table="organization", app="people", self_path="/people/v2",
    attributes=("country_code", "date_format", "name", "time_zone"),  # as recorded
))

PERSON = _add(Resource(
    type="Person", table="people", app="people", self_path="/people/v2/people/{id}",
    attributes=PERSON_ATTRS,
    assignable=frozenset({
        "first_name", "last_name", "given_name", "middle_name", "nickname", "birthdate",
        "anniversary", "gender", "grade", "graduation_year", "child", "status",
        "inactivated_at", "membership", "medical_notes", "remote_id", "primary_campus_id",
        "site_administrator", "accounting_administrator", "people_permissions", "school_type",
    }),
    to_one={"primary_campus": ("Campus", "primary_campus_id")},
    includes={
        "emails": Include("emails", "person_id"),
        "phone_numbers": Include("phone_numbers", "person_id"),
        "addresses": Include("addresses", "person_id"),
        "households": Include("households", "person_id", via=(
            "household_memberships", "person_id", "household_id")),
        "organization": Include("organization", "", many=False),
        "person_apps": Include("person_apps", "person_id"),
    },
    can_filter=("created_since", "admins", "organization_admins"),
    can_include=("addresses", "emails", "field_data", "households", "inactive_reason",
                 "marital_status", "name_prefix", "name_suffix", "organization",
                 "person_apps", "phone_numbers", "platform_notifications", "primary_campus",
                 "school", "social_profiles"),
    order_by=PERSON_QUERY,
    query_by=PERSON_QUERY + ("search_name", "search_name_or_email", "id"),
    member_links=("addresses", "apps", "connected_people", "emails", "field_data",
                  "household_memberships", "households", "inactive_reason", "marital_status",
                  "message_groups", "messages", "name_prefix", "name_suffix", "notes",
                  "organization", "person_apps", "phone_numbers", "platform_notifications",
                  "primary_campus", "school", "social_profiles", "workflow_cards"),
    integer_attrs=frozenset({"remote_id", "grade", "graduation_year"}),
    boolean_attrs=frozenset({"child", "site_administrator", "accounting_administrator",
                             "passed_background_check"}),
    date_attrs=frozenset({"birthdate", "anniversary"}),
    datetime_attrs=frozenset({"created_at", "updated_at", "inactivated_at"}),
    enums={"status": ("active", "inactive"), "gender": ("M", "F", "Male", "Female", None)},
))

EMAIL = _add(Resource(
    type="Email", table="emails", app="people", self_path="/people/v2/emails/{id}",
    attributes=("address", "blocked", "created_at", "location", "primary", "updated_at"),
    assignable=frozenset({"address", "location", "primary", "blocked"}),
    required=("address",),
    to_one={"person": ("Person", "person_id")},
    includes={"person": Include("people", "person_id", many=False)},
    order_by=("address", "location", "primary", "created_at", "updated_at"),
    query_by=("address", "location", "primary", "created_at", "updated_at", "blocked"),
    boolean_attrs=frozenset({"primary", "blocked"}),
))

PHONE_NUMBER = _add(Resource(
    type="PhoneNumber", table="phone_numbers", app="people",
    self_path="/people/v2/phone_numbers/{id}",
    attributes=("carrier", "country_code", "created_at", "e164", "international", "location",
                "national", "number", "primary", "updated_at"),
    assignable=frozenset({"number", "carrier", "location", "primary", "country_code"}),
    required=("number",),
    to_one={"person": ("Person", "person_id")},
    includes={"person": Include("people", "person_id", many=False)},
    order_by=("number", "location", "primary", "created_at", "updated_at"),
    query_by=("number", "location", "primary", "created_at", "updated_at", "e164"),
    boolean_attrs=frozenset({"primary"}),
))

ADDRESS = _add(Resource(
    type="Address", table="addresses", app="people", self_path="/people/v2/addresses/{id}",
    attributes=("city", "country_code", "country_name", "created_at", "location", "primary",
                "state", "street_line_1", "street_line_2", "updated_at", "zip"),
    assignable=frozenset({"street_line_1", "street_line_2", "city", "state", "zip",
                          "country_code", "location", "primary"}),
    required=("street_line_1",),
    to_one={"person": ("Person", "person_id")},
    includes={"person": Include("people", "person_id", many=False)},
    order_by=("city", "state", "zip", "street_line_1", "location", "primary", "created_at",
              "updated_at"),
    query_by=("city", "state", "zip", "street_line_1", "location", "primary"),
    boolean_attrs=frozenset({"primary"}),
))

HOUSEHOLD = _add(Resource(
    type="Household", table="households", app="people", self_path="/people/v2/households/{id}",
    attributes=("created_at", "member_count", "name", "primary_contact_id",
                "primary_contact_name", "updated_at"),
    assignable=frozenset({"name", "primary_contact_id"}),
    includes={"people": Include("people", "household_id", via=(
        "household_memberships", "household_id", "person_id"))},
    can_include=("people",),
    order_by=("name", "member_count", "primary_contact_name", "created_at", "updated_at"),
    query_by=("name", "member_count", "primary_contact_name", "created_at", "updated_at"),
    member_links=("household_memberships", "people"),
    integer_attrs=frozenset({"member_count"}),
))

HOUSEHOLD_MEMBERSHIP = _add(Resource(
    type="HouseholdMembership", table="household_memberships", app="people",
    self_path="/people/v2/households/{household_id}/household_memberships/{id}",
    attributes=("pending", "person_name"),
    assignable=frozenset({"pending"}),
    to_one={"household": ("Household", "household_id"), "person": ("Person", "person_id")},
    includes={"person": Include("people", "person_id", many=False),
              "household": Include("households", "household_id", many=False)},
    can_include=("person",),
    order_by=("pending",),
    query_by=("pending",),
    timestamps=False,
    boolean_attrs=frozenset({"pending"}),
))

PERSON_MERGER = _add(Resource(
    type="PersonMerger", table="person_mergers", app="people",
    self_path="/people/v2/person_mergers/{id}",
    attributes=("created_at", "person_to_keep_id", "person_to_remove_id"),
    can_include=("person_to_keep", "person_to_remove"),
    order_by=("created_at",),
    query_by=("created_at", "person_to_keep_id", "person_to_remove_id"),
    datetime_attrs=frozenset({"created_at"}),
))

GROUP_TYPE = _add(Resource(
    type="GroupType", table="group_types", app="groups", self_path="/groups/v2/group_types/{id}",
    attributes=("church_center_map_visible", "church_center_visible", "color",
                "default_group_settings", "description", "name", "position"),
    order_by=("name", "position"),
    query_by=("name",),
    timestamps=False,
    member_links=("groups",),
    boolean_attrs=frozenset({"church_center_visible", "church_center_map_visible"}),
    integer_attrs=frozenset({"position"}),
))

GROUP = _add(Resource(
    type="Group", table="groups", app="groups", self_path="/groups/v2/groups/{id}",
    attributes=("archived_at", "can_create_conversation", "chat_enabled", "contact_email",
                "created_at", "description", "enrollment_open", "enrollment_strategy",
                "events_visibility", "header_image", "location_type_preference",
                "memberships_count", "name", "public_church_center_web_url", "schedule",
                "virtual_location_url", "widget_status"),
    assignable=frozenset({"name"}),  # description cannot be assigned (developers#1176)
    to_one={"group_type": ("GroupType", "group_type_id")},
    includes={"group_type": Include("group_types", "group_type_id", many=False)},
    can_include=("enrollment", "group_type", "location"),
    order_by=("name", "created_at", "archived_at", "memberships_count"),
    query_by=("name", "archive_status", "group_type"),
    member_links=("memberships", "people", "events", "group_type"),
    integer_attrs=frozenset({"memberships_count"}),
    boolean_attrs=frozenset({"can_create_conversation", "chat_enabled", "enrollment_open"}),
    datetime_attrs=frozenset({"created_at", "archived_at"}),
))

GROUP_MEMBERSHIP = _add(Resource(
    type="Membership", table="memberships", app="groups",
    self_path="/groups/v2/groups/{group_id}/memberships/{id}",
    attributes=("account_center_identifier", "avatar_url", "color_identifier",
                "email_address", "first_name", "joined_at", "last_name", "phone_number",
                "role"),
    assignable=frozenset({"person_id", "role", "joined_at"}),
    required=("person_id",),
    to_one={"group": ("Group", "group_id"), "person": ("Person", "person_id")},
    includes={"person": Include("people", "person_id", many=False),
              "group": Include("groups", "group_id", many=False)},
    can_include=("group", "person"),
    order_by=("first_name", "last_name", "joined_at", "role"),
    query_by=("role",),
    timestamps=False,
    datetime_attrs=frozenset({"joined_at"}),
    enums={"role": ("member", "leader")},
))

EVENT = _add(Resource(
    type="Event", table="events", app="calendar", self_path="/calendar/v2/events/{id}",
    attributes=("approval_status", "created_at", "description", "featured", "image_url",
                "name", "percent_approved", "percent_rejected", "registration_url", "summary",
                "updated_at", "visible_in_church_center"),
    includes={"event_instances": Include("event_instances", "event_id")},
    can_include=("attachments", "feed", "owner", "tags"),
    order_by=("name", "created_at", "updated_at"),
    query_by=("name", "approval_status", "visible_in_church_center", "created_at",
              "updated_at", "id"),
    member_links=("event_instances",),
    boolean_attrs=frozenset({"featured", "visible_in_church_center"}),
    integer_attrs=frozenset({"percent_approved", "percent_rejected"}),
))

EVENT_INSTANCE = _add(Resource(
    type="EventInstance", table="event_instances", app="calendar",
    self_path="/calendar/v2/event_instances/{id}",
    attributes=("all_day_event", "church_center_url", "compact_recurrence_description",
                "created_at", "ends_at", "location", "name", "published_ends_at",
                "published_starts_at", "recurrence", "recurrence_description", "starts_at",
                "updated_at"),
    includes={"event": Include("events", "event_id", many=False)},
    can_include=("event", "event_times", "resource_bookings", "tags"),
    order_by=("starts_at", "ends_at", "created_at", "updated_at"),
    query_by=("starts_at", "ends_at", "created_at", "updated_at"),
    boolean_attrs=frozenset({"all_day_event"}),
    datetime_attrs=frozenset({"created_at", "updated_at", "starts_at", "ends_at",
                              "published_starts_at", "published_ends_at"}),
))

TEAM = _add(Resource(
    type="Team", table="teams", app="services", self_path="/services/v2/teams/{id}",
    attributes=("archived_at", "assigned_directly", "created_at", "default_prepare_notifications",
                "default_status", "deleted_at", "name", "rehearsal_team", "schedule_to",
                "secure_team", "sequence", "stage_color", "stage_variant", "updated_at",
                "viewers_see"),
    assignable=frozenset({"name", "schedule_to", "default_status",
                          "default_prepare_notifications", "rehearsal_team", "viewers_see",
                          "assigned_directly", "secure_team", "sequence"}),
    required=("name",),
    # A team belongs to one service type (`service_type`, always rendered, data null for a
    # team made without one) and lists every service type it serves in `service_types`.
    to_one={"service_type": ("ServiceType", "service_type_id")},
    includes={"team_positions": Include("team_positions", "team_id"),
              "service_types": Include("service_types", "service_type_ids", id_list=True)},
    can_include=("people", "person_team_position_assignments", "service_types",
                 "team_leaders", "team_positions"),
    order_by=("name", "created_at", "updated_at"),
    query_by=("name",),
    member_links=("team_positions", "person_team_position_assignments"),
    boolean_attrs=frozenset({"rehearsal_team", "default_prepare_notifications",
                             "assigned_directly", "secure_team"}),
    integer_attrs=frozenset({"sequence", "viewers_see"}),
    datetime_attrs=frozenset({"created_at", "updated_at", "archived_at", "deleted_at"}),
))

TEAM_POSITION = _add(Resource(
    type="TeamPosition", table="team_positions", app="services",
    self_path="/services/v2/teams/{team_id}/team_positions/{id}",
    attributes=("name", "negative_tag_groups", "sequence", "tag_groups", "tags"),
    to_one={"team": ("Team", "team_id")},
    includes={"team": Include("teams", "team_id", many=False)},
    can_include=("tags", "team"),
    order_by=("name",),
    query_by=("name",),
    timestamps=False,
    member_links=("person_team_position_assignments",),
    integer_attrs=frozenset({"sequence"}),
))

ASSIGNMENT = _add(Resource(
    type="PersonTeamPositionAssignment", table="person_team_position_assignments",
    app="services",
    self_path=("/services/v2/teams/{team_id}/team_positions/{team_position_id}"
               "/person_team_position_assignments/{id}"),
    attributes=("created_at", "preferred_weeks", "schedule_preference", "updated_at"),
    assignable=frozenset({"schedule_preference", "preferred_weeks", "person_id",
                          "time_preference_option_ids"}),
    required=("person_id",),
    to_one={"person": ("Person", "person_id"), "team_position": ("TeamPosition",
                                                                 "team_position_id")},
    includes={"person": Include("people", "person_id", many=False),
              "team_position": Include("team_positions", "team_position_id", many=False)},
    can_include=("person", "team_position"),
    order_by=("created_at", "updated_at"),
    query_by=("created_at", "updated_at"),
))

# ---- Services structure and "people in Services" -------------------------------------------
# No recorded Services samples exist; attribute names follow PCO's published Services
# 2018-11-01 reference (as mirrored by the planningcenter_api package docs) and developers'
# issues #219, #1328, #1417. See docs/simulator.md.
FOLDER = _add(Resource(
    type="Folder", table="folders", app="services", self_path="/services/v2/folders/{id}",
    attributes=("container", "created_at", "name", "updated_at"),
    to_one={"parent": ("Folder", "parent_id"), "campus": ("Campus", "campus_id")},
    includes={"parent": Include("folders", "parent_id", many=False)},
    can_include=(),
    order_by=("name", "created_at", "updated_at"),
    query_by=("name", "id"),
    member_links=("folders", "service_types"),
))

SERVICE_TYPE = _add(Resource(
    type="ServiceType", table="service_types", app="services",
    self_path="/services/v2/service_types/{id}",
    attributes=("archived_at", "attachment_types_enabled", "background_check_permissions",
                "comment_permissions", "created_at", "custom_item_types", "deleted_at",
                "frequency", "last_plan_from", "name", "permissions", "sequence",
                "standard_item_types", "updated_at"),
    to_one={"parent": ("Folder", "parent_id")},
    includes={"parent": Include("folders", "parent_id", many=False)},
    can_include=("time_preference_options",),
    order_by=("name", "sequence"),
    query_by=("id", "name"),
    member_links=("plans", "team_positions", "teams", "time_preference_options"),
    integer_attrs=frozenset({"sequence"}),
    boolean_attrs=frozenset({"attachment_types_enabled"}),
    datetime_attrs=frozenset({"created_at", "updated_at", "archived_at", "deleted_at"}),
))

# A person in Services (same id as the People person). first_name/last_name come from the
# People record; archived, permissions and dates are Services' own.
SERVICES_PERSON = _add(Resource(
    type="Person", table="services_people", app="services",
    self_path="/services/v2/people/{id}",
    attributes=("archived", "archived_at", "assigned_to_rehearsal_team", "created_at",
                "first_name", "full_name", "last_name", "max_permissions", "permissions",
                "photo_thumbnail_url", "photo_url", "status", "updated_at"),
    can_include=("emails", "tags"),
    order_by=("first_name", "last_name", "created_at", "updated_at"),
    query_by=("first_name", "last_name", "id", "created_at", "updated_at", "archived"),
    member_links=("person_team_position_assignments", "team_leaders", "teams"),
    boolean_attrs=frozenset({"archived", "assigned_to_rehearsal_team"}),
    datetime_attrs=frozenset({"created_at", "updated_at", "archived_at"}),
))

APP = _add(Resource(
    type="App", table="apps", app="people", self_path="/people/v2/apps/{id}",
    attributes=("name", "url"),
    order_by=("name",),
    query_by=("name",),
    timestamps=False,
))

PERSON_APP = _add(Resource(
    type="PersonApp", table="person_apps", app="people",
    self_path="/people/v2/people/{person_id}/person_apps/{id}",
    attributes=("allow_pco_login", "people_permissions"),
    assignable=frozenset({"app_id"}),
    to_one={"app": ("App", "app_id"), "person": ("Person", "person_id")},
    includes={"app": Include("apps", "app_id", many=False)},
    can_include=("app",),
    timestamps=False,
    boolean_attrs=frozenset({"allow_pco_login"}),
))
# The apps /people/v2/apps lists (ids fixed; developers#219 and #1328 show Services as 2).
APPS = (("1", "People"), ("2", "Services"), ("3", "Groups"), ("4", "Calendar"),
        ("5", "Check-Ins"), ("6", "Giving"), ("7", "Registrations"), ("8", "Publishing"),
        ("9", "Home"))
SERVICES_APP_ID = "2"

WEBHOOK_SUBSCRIPTION = _add(Resource(
    type="WebhookSubscription", table="webhook_subscriptions", app="webhooks",
    self_path="/webhooks/v2/webhook_subscriptions/{id}",
    attributes=("active", "application_id", "authenticity_secret", "created_at", "name",
                "updated_at", "url"),
    assignable=frozenset({"name", "url", "active"}),
    required=("name", "url"),
    order_by=("created_at", "name"),
    query_by=("name", "active"),
    boolean_attrs=frozenset({"active"}),
))

AVAILABLE_EVENT = _add(Resource(
    type="AvailableEvent", table="available_events", app="webhooks",
    self_path="/webhooks/v2/available_events/{id}",
    attributes=("action", "app", "name", "resource", "type", "version"),
    timestamps=False,
))

# Events a subscription can be made for, as /webhooks/v2/available_events lists them: the
# 28 of the 2019 recording plus those PCO added since that the sync subscribes to.
WEBHOOK_EVENT_NAMES = tuple(
    f"{app}.v2.events.{res}.{action}"
    for app, res, actions in (
        ("people", "person", ("created", "updated", "destroyed")),
        ("people", "email", ("created", "updated", "destroyed")),
        ("people", "phone_number", ("created", "updated", "destroyed")),
        ("people", "address", ("created", "updated", "destroyed")),
        ("people", "household", ("created", "updated", "destroyed")),
        ("people", "person_merger", ("created",)),
        ("people", "note", ("created", "destroyed")),
        ("people", "list_result", ("created", "destroyed")),
        ("people", "workflow", ("created", "updated", "destroyed")),
        ("people", "workflow_card", ("created", "updated", "destroyed")),
        ("people", "workflow_card_activity", ("created", "updated", "destroyed")),
        ("people", "workflow_share", ("created", "updated", "destroyed")),
        ("people", "workflow_step", ("created", "updated", "destroyed")),
        ("groups", "group", ("created", "updated", "destroyed")),
        ("groups", "membership", ("created", "updated", "destroyed")),
    )
    for action in actions
)
# Which table's changes produce which webhook resource name.
WEBHOOK_RESOURCE_BY_TABLE = {
    "people": ("people", "person"),
    "emails": ("people", "email"),
    "phone_numbers": ("people", "phone_number"),
    "addresses": ("people", "address"),
    "households": ("people", "household"),
    "person_mergers": ("people", "person_merger"),
    "groups": ("groups", "group"),
    "memberships": ("groups", "membership"),
}
