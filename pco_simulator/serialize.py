"""Records to JSON:API documents in PCO's shapes (links, meta, flat de-duplicated includes)."""
from __future__ import annotations

from urllib.parse import quote

from .schema import ADDRESS_LINES_SINCE, RESOURCES, Resource
from .store import Store, display_name

OLD_ADDRESS_ATTRS = ("city", "created_at", "location", "primary", "state", "street",
                     "updated_at", "zip")
# Includes PCO offers that name one record (rendered null here, not an empty list).
UNMODELLED_TO_ONE = frozenset({"inactive_reason", "marital_status", "name_prefix",
                               "name_suffix", "school", "enrollment", "location", "owner",
                               "feed"})


def query_string(params: list[tuple[str, str]]) -> str:
    """PCO echoes the query sorted by name, brackets left readable."""
    if not params:
        return ""
    parts = [f"{quote(k, safe='[]_')}={quote(v, safe=',:[]_-.')}" for k, v in
             sorted(params, key=lambda kv: kv[0])]
    return "?" + "&".join(parts)


class Renderer:
    def __init__(self, store: Store, base_url: str, version: str):
        self.store, self.base, self.version = store, base_url.rstrip("/"), version

    # ---- values ---------------------------------------------------------------------------
    def value(self, res: Resource, rec: dict, attr: str):
        s = self.store
        if res.table == "people" and attr == "name":
            return " ".join(x for x in (rec.get("first_name"), rec.get("last_name")) if x)
        if res.table == "households":
            if attr == "member_count":
                return len(s.index[("household_memberships", "household_id")].get(rec["id"], ()))
            if attr == "primary_contact_name":
                p = s.find("people", rec.get("primary_contact_id"))
                return display_name(p) if p else None
        if res.table == "memberships" and attr in ("first_name", "last_name", "email_address",
                                                   "phone_number", "avatar_url",
                                                   "account_center_identifier"):
            p = s.find("people", rec.get("person_id"))
            if p is None:
                return None
            if attr == "account_center_identifier":
                return p["id"]
            if attr == "avatar_url":
                return p.get("avatar")
            if attr in ("email_address", "phone_number"):
                table, field = (("emails", "address") if attr == "email_address"
                                else ("phone_numbers", "number"))
                rows = s.children(table, "person_id", p["id"])
                primary = [r for r in rows if r.get("primary")] or rows
                return primary[0][field] if primary else None
            return p.get(attr)
        if res.table == "services_people":
            if attr in ("first_name", "last_name", "full_name", "status", "photo_url",
                        "photo_thumbnail_url"):
                p = s.find("people", rec["id"])
                if p is None:
                    return None
                if attr == "full_name":
                    return " ".join(x for x in (p.get("first_name"), p.get("last_name")) if x)
                if attr in ("photo_url", "photo_thumbnail_url"):
                    return p.get("avatar")
                return p.get(attr)
        if res.table == "folders" and attr == "container":
            # The path of the folders above this one ("Weekend Services/Campus"), or None.
            names, seen, parent = [], set(), s.find("folders", rec.get("parent_id"))
            while parent is not None and parent["id"] not in seen:
                seen.add(parent["id"])
                names.append(parent.get("name") or "")
                parent = s.find("folders", parent.get("parent_id"))
            return "/".join(reversed(names)) or None
        if res.table == "event_instances" and attr == "name":
            ev = s.find("events", rec.get("event_id"))
            return ev.get("name") if ev else rec.get("name")
        if attr == "street":
            return "\n".join(x for x in (rec.get("street_line_1"), rec.get("street_line_2")) if x)
        return rec.get(attr)

    def attribute_names(self, res: Resource) -> tuple[str, ...]:
        if res.table == "addresses" and self.version < ADDRESS_LINES_SINCE:
            return OLD_ADDRESS_ATTRS
        if res.table == "groups" and not self.store.config.quirks.groups_without_updated_at:
            return tuple(sorted(res.attributes + ("updated_at",)))
        return res.attributes

    # ---- records --------------------------------------------------------------------------
    def self_link(self, res: Resource, rec: dict) -> str:
        return self.base + res.self_path.format(**{k: (v if v is not None else "") for k, v
                                                   in rec.items()})

    def resource(self, res: Resource, rec: dict, include: tuple[str, ...] = (),
                 full_links: bool = False, included: dict | None = None) -> dict:
        out = {"type": res.type, "id": rec["id"],
               "attributes": {a: self.value(res, rec, a) for a in self.attribute_names(res)}}
        rels: dict = {}
        for name, (typ, fk) in res.to_one.items():
            rels[name] = {"data": {"type": typ, "id": rec[fk]} if rec.get(fk) else None}
        for name in include:
            inc = res.includes.get(name)
            if inc is None:  # listed by PCO, not modelled here: an empty relationship
                if name not in rels:  # a modelled to-one (primary_campus) keeps its data
                    rels[name] = {"data": None if name in UNMODELLED_TO_ONE else []}
                continue
            rows = self.related(rec, inc)
            target = RESOURCES[inc.table]
            refs = [{"type": target.type, "id": r["id"]} for r in rows]
            rel = {"links": {"related": self.self_link(res, rec) + "/" + name}}
            rel["data"] = refs if inc.many else (refs[0] if refs else None)
            rels[name] = rel
            if included is not None:
                for r in rows:
                    key = (target.type, r["id"])
                    if key not in included:
                        included[key] = self.resource(target, r)
                        if target.table == "organization":  # linked through its owner
                            included[key]["links"] = {
                                "self": self.self_link(res, rec) + "/organization"}
        if rels:
            out["relationships"] = rels
        links = {"self": self.self_link(res, rec)}
        if full_links:
            links = {n: self.self_link(res, rec) + "/" + n for n in res.member_links}
            links["self"] = self.self_link(res, rec)
        out["links"] = links if res.table != "available_events" else {}
        return out

    def related(self, rec: dict, inc) -> list[dict]:
        s = self.store
        if inc.table == "organization":
            return [s.organization()]
        if inc.id_list:
            ids = (s.team_service_type_ids(rec) if inc.fk == "service_type_ids"
                   else rec.get(inc.fk) or [])
            return [r for r in (s.find(inc.table, i) for i in ids) if r]
        if inc.via:
            join, mine, theirs = inc.via
            return [r for r in (s.find(inc.table, j[theirs])
                                for j in s.children(join, mine, rec["id"])) if r]
        if inc.many:
            return s.children(inc.table, inc.fk, rec["id"])
        r = s.find(inc.table, rec.get(inc.fk))
        return [r] if r else []

    # ---- documents ------------------------------------------------------------------------
    def meta_lists(self, res: Resource, top_level: bool = True) -> dict:
        meta = {}
        if res.order_by:
            meta["can_order_by"] = list(res.order_by)
        if res.query_by:
            meta["can_query_by"] = list(res.query_by)
        if res.can_include:
            meta["can_include"] = list(res.can_include)
        if res.can_filter and top_level:  # nested lists do not offer filters
            meta["can_filter"] = list(res.can_filter)
        return meta

    def single(self, res: Resource, rec: dict, include: tuple[str, ...], parent: dict) -> dict:
        included: dict = {}
        data = self.resource(res, rec, include, full_links=True, included=included)
        meta = {"can_include": list(res.can_include)} if res.can_include else {}
        meta["parent"] = parent
        return {"data": data, "included": list(included.values()), "meta": meta}

    def listing(self, res: Resource, page: list[dict], total: int, q, path: str,
                parent: dict) -> dict:
        included: dict = {}
        data = [self.resource(res, r, q.include, included=included) for r in page]
        base_params = [(k, v) for k, v in q.params if k != "offset"]
        links = {"self": self.base + path + query_string(q.params)}
        meta: dict = {"total_count": total, "count": len(page)}
        nxt = q.offset + q.per_page
        if nxt < total:
            links["next"] = self.base + path + query_string(base_params + [("offset", str(nxt))])
            meta["next"] = {"offset": nxt}
        if q.offset > 0:
            prv = max(q.offset - q.per_page, 0)
            links["prev"] = self.base + path + query_string(base_params + [("offset", str(prv))])
            meta["prev"] = {"offset": prv}
        meta.update(self.meta_lists(res, parent.get("type") == "Organization"))
        meta["parent"] = parent
        return {"links": links, "data": data, "included": list(included.values()), "meta": meta}
