"""The simulator's data: one dict of records per table, kept in memory, with the changes a
staff member or an API client can make and the quirks PCO shows while making them.

Every change goes through `insert`, `update` or `delete`, which keep the foreign-key
indexes, bump per-table versions (list caches key on them) and tell listeners (webhooks).
"""
from __future__ import annotations

import json
import threading
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

from .config import SimConfig
from .schema import APPS, RESOURCES, SERVICES_APP_ID

# Foreign keys the store indexes so children are found without a scan.
FK_INDEXES: dict[str, tuple[str, ...]] = {
    "emails": ("person_id",),
    "phone_numbers": ("person_id",),
    "addresses": ("person_id",),
    "household_memberships": ("household_id", "person_id"),
    "memberships": ("group_id", "person_id"),
    "groups": ("group_type_id",),
    "event_instances": ("event_id",),
    "team_positions": ("team_id",),
    "person_team_position_assignments": ("team_position_id", "person_id", "team_id"),
    "folders": ("parent_id",),
    "service_types": ("parent_id",),
    "teams": ("service_type_id",),
    "person_apps": ("person_id", "app_id"),
}
# Where new ids start per table, so ids of different kinds do not look alike.
ID_BASES = {
    "people": 10_000_000, "emails": 20_000_000, "phone_numbers": 30_000_000,
    "addresses": 40_000_000, "households": 5_000_000, "household_memberships": 6_000_000,
    "person_mergers": 700_000, "group_types": 100, "groups": 1_000_000, "memberships": 80_000_000,
    "events": 2_000_000, "event_instances": 90_000_000, "teams": 3_000_000,
    "team_positions": 3_500_000, "person_team_position_assignments": 50_000_000,
    "webhook_subscriptions": 900_000,
    "folders": 450_000, "service_types": 1_500_000, "person_apps": 70_000_000,
    "services_people": 10_000_000,  # a Services person has its People person's id
    "apps": 0,
}
ISO = "%Y-%m-%dT%H:%M:%SZ"

Listener = Callable[[str, str, dict, dict | None], None]  # (action, table, record, changes)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime(ISO)


def parse_iso(value: str) -> datetime:
    return datetime.strptime(value, ISO).replace(tzinfo=timezone.utc)


class NotFound(KeyError):
    pass


class Store:
    def __init__(self, config: SimConfig | None = None):
        self.config = config or SimConfig()
        self.lock = threading.RLock()
        self.listeners: list[Listener] = []
        self.clock_offset = timedelta()
        self.reset()

    # ---- basics -------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.tables: dict[str, dict[str, dict]] = {t: {} for t in RESOURCES}
            self.next_ids: dict[str, int] = dict(ID_BASES)
            # A reset starts a new generation, so list caches keyed on versions never
            # mistake the new data for what was cached before the reset.
            generation = getattr(self, "versions", {}).get("~reset", 0) + 1
            self.versions: dict[str, int] = defaultdict(int, {"~reset": generation})
            self.index: dict[tuple[str, str], dict[str, set[str]]] = {
                (t, f): defaultdict(set) for t, fs in FK_INDEXES.items() for f in fs
            }
            self.tables["organization"]["1"] = {
                "id": self.config.organization_id, "name": self.config.organization_name,
                "country_code": "US", "date_format": "%m/%d/%Y",
                "time_zone": self.config.time_zone,
            }
            for aid, name in APPS:  # PCO's products, the same for every organisation
                slug = name.lower().replace("-", "")
                self.tables["apps"][aid] = {
                    "id": aid, "name": name,
                    "url": f"https://{slug}.planningcenteronline.com"}

    def now(self) -> datetime:
        return datetime.now(timezone.utc).replace(microsecond=0) + self.clock_offset

    def now_iso(self) -> str:
        return iso(self.now())

    def new_id(self, table: str) -> str:
        self.next_ids[table] = self.next_ids.get(table, 1) + 1
        return str(self.next_ids[table])

    def get(self, table: str, rid: str) -> dict:
        rec = self.tables[table].get(str(rid))
        if rec is None:
            raise NotFound(f"{table}/{rid}")
        return rec

    def find(self, table: str, rid) -> dict | None:
        return self.tables[table].get(str(rid)) if rid is not None else None

    def children(self, table: str, fk: str, value) -> list[dict]:
        ids = self.index[(table, fk)].get(str(value), ())
        rows = self.tables[table]
        return [rows[i] for i in sorted(ids, key=int)]

    def organization(self) -> dict:
        return self.tables["organization"]["1"]

    def _index_add(self, table: str, rec: dict) -> None:
        for f in FK_INDEXES.get(table, ()):
            if rec.get(f) is not None:
                self.index[(table, f)][str(rec[f])].add(rec["id"])

    def _index_remove(self, table: str, rec: dict) -> None:
        for f in FK_INDEXES.get(table, ()):
            if rec.get(f) is not None:
                self.index[(table, f)][str(rec[f])].discard(rec["id"])

    def _emit(self, action: str, table: str, rec: dict, changes: dict | None = None) -> None:
        for listener in list(self.listeners):
            listener(action, table, dict(rec), changes)

    # ---- generic changes ------------------------------------------------------------------
    def insert(self, table: str, values: dict, *, emit: bool = True, at: str | None = None) -> dict:
        with self.lock:
            rec = dict(values)
            rec["id"] = str(rec.get("id") or self.new_id(table))
            res = RESOURCES[table]
            stamp = at or self.now_iso()
            if res.timestamps:
                rec.setdefault("created_at", stamp)
                rec.setdefault("updated_at", rec["created_at"])
            for a in res.attributes:
                rec.setdefault(a, None)
            if int(rec["id"]) > self.next_ids.get(table, 0):
                self.next_ids[table] = int(rec["id"])
            self.tables[table][rec["id"]] = rec
            self._index_add(table, rec)
            self.versions[table] += 1
            if emit:
                self._emit("created", table, rec)
            return rec

    def update(self, table: str, rid, changes: dict, *, bump: bool = True,
               emit: bool = True) -> dict:
        with self.lock:
            rec = self.get(table, rid)
            changed = {k: v for k, v in changes.items() if rec.get(k) != v}
            if not changed:
                return rec
            self._index_remove(table, rec)
            rec.update(changed)
            self._index_add(table, rec)
            if bump and ("updated_at" in RESOURCES[table].attributes or (
                    table == "groups" and not self.config.quirks.groups_without_updated_at)):
                rec["updated_at"] = self.now_iso()
            self.versions[table] += 1
            if emit:
                self._emit("updated", table, rec, changed)
            return rec

    def delete(self, table: str, rid, *, emit: bool = True) -> dict:
        with self.lock:
            rec = self.tables[table].pop(str(rid), None)
            if rec is None:
                raise NotFound(f"{table}/{rid}")
            self._index_remove(table, rec)
            self.versions[table] += 1
            if emit:
                self._emit("destroyed", table, rec)
            return rec

    def touch_person(self, person_id) -> None:
        """Contact edits bump the person's updated_at, as PCO does."""
        if person_id is not None and str(person_id) in self.tables["people"]:
            self.update("people", person_id, {"updated_at": self.now_iso()}, bump=False)

    # ---- people ---------------------------------------------------------------------------
    def delete_person(self, pid) -> dict:
        """Deleting a person removes what hangs off them; households stay."""
        with self.lock:
            person = self.get("people", pid)
            for table in ("emails", "phone_numbers", "addresses"):
                for child in self.children(table, "person_id", pid):
                    self.delete(table, child["id"])
            for hm in self.children("household_memberships", "person_id", pid):
                self.remove_household_member(hm["household_id"], pid)
            for m in self.children("memberships", "person_id", pid):
                self.delete("memberships", m["id"])
            for a in self.children("person_team_position_assignments", "person_id", pid):
                self.delete("person_team_position_assignments", a["id"])
            for pa in self.children("person_apps", "person_id", pid):
                self.delete("person_apps", pa["id"])
            if str(pid) in self.tables["services_people"]:
                self.delete("services_people", pid)
            self.delete("people", person["id"])
            return person

    def inactivate_person(self, pid) -> dict:
        return self.update("people", pid, {"status": "inactive",
                                           "inactivated_at": self.now_iso()})

    def merge_people(self, keep_id, remove_id) -> dict:
        """What a staff member's merge does: contacts and households move to the kept
        person, the removed person 404s from then on, a PersonMerger records it."""
        with self.lock:
            keep, remove = self.get("people", keep_id), self.get("people", remove_id)
            if keep["id"] == remove["id"]:
                raise ValueError("cannot merge a person with themselves")
            if self.config.quirks.merge_moves_contacts:
                for table in ("emails", "phone_numbers", "addresses"):
                    for child in self.children(table, "person_id", remove["id"]):
                        self.update(table, child["id"], {"person_id": keep["id"]})
                kept_households = {h["household_id"] for h in
                                   self.children("household_memberships", "person_id", keep["id"])}
                for hm in self.children("household_memberships", "person_id", remove["id"]):
                    if hm["household_id"] in kept_households:
                        self.remove_household_member(hm["household_id"], remove["id"])
                    else:
                        self.update("household_memberships", hm["id"], {
                            "person_id": keep["id"], "person_name": display_name(keep)},
                            bump=False)
                        hh = self.get("households", hm["household_id"])
                        if hh.get("primary_contact_id") == remove["id"]:
                            self.update("households", hh["id"],
                                        {"primary_contact_id": keep["id"]}, bump=False)
            # The kept person keeps the removed one's apps (and so a place in Services).
            kept_apps = {pa["app_id"] for pa in self.children("person_apps", "person_id",
                                                              keep["id"])}
            for pa in self.children("person_apps", "person_id", remove["id"]):
                if pa["app_id"] not in kept_apps:
                    self.add_person_app(keep["id"], pa["app_id"])
            self.delete_person(remove["id"])
            self.update("people", keep["id"], {"updated_at": self.now_iso()}, bump=False)
            return self.insert("person_mergers", {
                "person_to_keep_id": keep["id"], "person_to_remove_id": remove["id"]})

    # ---- households -----------------------------------------------------------------------
    def _household_bump(self, household_id, person_id) -> None:
        if not self.config.quirks.household_membership_no_bump:
            self.update("households", household_id, {"updated_at": self.now_iso()}, bump=False)
            self.touch_person(person_id)

    def add_household_member(self, household_id, person_id, *, pending: bool = False) -> dict:
        with self.lock:
            hh, person = self.get("households", household_id), self.get("people", person_id)
            for hm in self.children("household_memberships", "household_id", hh["id"]):
                if hm["person_id"] == person["id"]:
                    raise ValueError("person is already a member of this household")
            hm = self.insert("household_memberships", {
                "household_id": hh["id"], "person_id": person["id"],
                "person_name": display_name(person), "pending": pending})
            self._household_bump(hh["id"], person["id"])
            return hm

    def remove_household_member(self, household_id, person_id) -> None:
        with self.lock:
            for hm in self.children("household_memberships", "household_id", household_id):
                if hm["person_id"] == str(person_id):
                    self.delete("household_memberships", hm["id"])
                    hh = self.get("households", household_id)
                    if hh.get("primary_contact_id") == str(person_id):
                        rest = self.children("household_memberships", "household_id",
                                             household_id)
                        self.update("households", household_id, {
                            "primary_contact_id": rest[0]["person_id"] if rest else None},
                            bump=False)
                    self._household_bump(household_id, person_id)
                    return
            raise NotFound(f"person {person_id} is not in household {household_id}")

    def move_person_to_household(self, person_id, to_household_id) -> None:
        with self.lock:
            self.get("households", to_household_id)
            for hm in self.children("household_memberships", "person_id", person_id):
                self.remove_household_member(hm["household_id"], person_id)
            self.add_household_member(to_household_id, person_id)

    def delete_household(self, household_id) -> dict:
        """A deleted household takes its memberships with it (its people stay)."""
        with self.lock:
            hh = self.get("households", household_id)
            for hm in self.children("household_memberships", "household_id", hh["id"]):
                self.delete("household_memberships", hm["id"])
            return self.delete("households", hh["id"])

    def create_household(self, name: str | None, people_ids: list, primary_contact_id) -> dict:
        with self.lock:
            people = [self.get("people", p) for p in people_ids]
            if not people:
                raise ValueError("a household needs at least one person")
            if str(primary_contact_id) not in {p["id"] for p in people}:
                raise ValueError("the primary contact must be one of the household's people")
            primary = self.get("people", primary_contact_id)
            hh = self.insert("households", {
                "name": name or f"{primary.get('last_name') or primary.get('first_name')} Household",
                "primary_contact_id": primary["id"]})
            for p in people:
                self.add_household_member(hh["id"], p["id"])
            return hh

    # ---- groups ---------------------------------------------------------------------------
    def add_group_member(self, group_id, person_id, role: str = "member",
                         joined_at: str | None = None) -> dict:
        with self.lock:
            group, person = self.get("groups", group_id), self.get("people", person_id)
            for m in self.children("memberships", "group_id", group["id"]):
                if m["person_id"] == person["id"]:
                    raise ValueError("person is already a member of this group")
            m = self.insert("memberships", {
                "group_id": group["id"], "person_id": person["id"], "role": role,
                "joined_at": joined_at or self.now_iso()})
            self._group_changed(group["id"])
            return m

    def remove_group_member(self, group_id, person_id) -> None:
        with self.lock:
            for m in self.children("memberships", "group_id", group_id):
                if m["person_id"] == str(person_id):
                    self.delete("memberships", m["id"])
                    self._group_changed(group_id)
                    return
            raise NotFound(f"person {person_id} is not in group {group_id}")

    def _group_changed(self, group_id) -> None:
        count = len(self.index[("memberships", "group_id")].get(str(group_id), ()))
        changes = {"memberships_count": count}
        if not self.config.quirks.groups_without_updated_at:
            changes["updated_at"] = self.now_iso()
        self.update("groups", group_id, changes, bump=False, emit=False)

    # ---- services -------------------------------------------------------------------------
    def in_services(self, person_id) -> bool:
        return str(person_id) in self.tables["services_people"]

    def add_person_app(self, person_id, app_id) -> dict:
        """What POST /people/v2/people/{id}/person_apps does: the person gets the app; for
        Services they become a Services person (GET /services/v2/people/{id})."""
        with self.lock:
            person, app = self.get("people", person_id), self.get("apps", app_id)
            for pa in self.children("person_apps", "person_id", person["id"]):
                if pa["app_id"] == app["id"]:
                    raise ValueError("App has already been taken")
            pa = self.insert("person_apps", {
                "person_id": person["id"], "app_id": app["id"], "allow_pco_login": False,
                "people_permissions": None})
            if app["id"] == SERVICES_APP_ID and not self.in_services(person["id"]):
                self.insert("services_people", {
                    "id": person["id"], "archived": False, "archived_at": None,
                    "assigned_to_rehearsal_team": False, "permissions": "Scheduled Viewer",
                    "max_permissions": "Scheduled Viewer"})
            return pa

    def remove_person_app(self, person_app_id) -> None:
        with self.lock:
            pa = self.delete("person_apps", person_app_id)
            if pa["app_id"] == SERVICES_APP_ID and self.in_services(pa["person_id"]):
                self.delete("services_people", pa["person_id"])

    def team_service_type_ids(self, team: dict) -> list[str]:
        """Every service type a team serves: its own first, then the others it lists."""
        ids = [team["service_type_id"]] if team.get("service_type_id") else []
        return ids + [i for i in (team.get("service_type_ids") or []) if i not in ids]

    def teams_of_service_type(self, service_type_id) -> list[dict]:
        st = str(service_type_id)
        return sorted((t for t in self.tables["teams"].values()
                       if st in self.team_service_type_ids(t)), key=lambda t: int(t["id"]))

    def delete_team(self, team_id) -> dict:
        """A team deleted in Services' UI lingers with deleted_at for 30 days."""
        with self.lock:
            if self.config.quirks.deleted_teams_linger:
                return self.update("teams", team_id, {"deleted_at": self.now_iso()})
            for pos in self.children("team_positions", "team_id", team_id):
                for a in self.children("person_team_position_assignments",
                                       "team_position_id", pos["id"]):
                    self.delete("person_team_position_assignments", a["id"])
                self.delete("team_positions", pos["id"])
            return self.delete("teams", team_id)

    def purge_lingering_teams(self) -> None:
        horizon = self.now() - timedelta(days=self.config.team_linger_days
                                         * self.config.time_scale)
        for team in list(self.tables["teams"].values()):
            if team.get("deleted_at") and parse_iso(team["deleted_at"]) <= horizon:
                self.config.quirks.deleted_teams_linger, was = False, \
                    self.config.quirks.deleted_teams_linger
                try:
                    self.delete_team(team["id"])
                finally:
                    self.config.quirks.deleted_teams_linger = was

    # ---- persistence ----------------------------------------------------------------------
    def dump(self) -> dict:
        with self.lock:
            return {"format": "pco_simulator/1", "next_ids": self.next_ids,
                    "tables": {t: list(rows.values()) for t, rows in self.tables.items()}}

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.dump(), f)

    def load_dump(self, data: dict) -> None:
        if data.get("format") != "pco_simulator/1":
            raise ValueError("not a pco_simulator data file (format pco_simulator/1)")
        unknown = [t for t in data["tables"] if t not in RESOURCES]
        if unknown:  # refuse before wiping anything
            raise ValueError(f"unknown table in data file: {unknown[0]}")
        with self.lock:
            self.reset()
            for table, rows in data["tables"].items():
                if table == "organization":  # one row, kept under key "1" (see reset)
                    if rows:
                        self.tables["organization"]["1"].update(rows[0])
                elif rows:
                    self.bulk_insert(table, rows)
            self.next_ids.update(data.get("next_ids", {}))

    def load(self, path: str) -> None:
        with open(path, encoding="utf-8") as f:
            self.load_dump(json.load(f))

    def bulk_insert(self, table: str, rows: Iterable[dict]) -> None:
        """Fast path for generated or loaded data: no events, no timestamps invented."""
        with self.lock:
            target = self.tables[table]
            top = self.next_ids.get(table, 0)
            for rec in rows:
                rec["id"] = str(rec["id"])
                target[rec["id"]] = rec
                self._index_add(table, rec)
                top = max(top, int(rec["id"]))
            self.next_ids[table] = top
            self.versions[table] += 1


def display_name(person: dict) -> str:
    first = person.get("nickname") or person.get("first_name") or ""
    return " ".join(x for x in (first, person.get("last_name") or "") if x).strip()
