"""Finding in PCO what an earlier attempt may have created, so it is not created twice.

Each strategy answers "is the record this op would create already there?" with the PCO
record or None. A lookup runs only when a journal row or an unclear answer says an earlier
attempt may have got through, when PCO says a membership exists already, or to find the id
a delete needs: a create nobody tried before is sent without one (a person carries their
local id as PCO's remote_id, which is what `remote_id` searches for).
"""
from __future__ import annotations

import re
from pco_sync.pco.client import PcoClient
from pco_sync.push.ops import Op


def describe(op: Op) -> str:
    """The lookup's request line, for a dry run's list."""
    m = op.meta
    return {
        "remote_id": f"/people/v2/people?where[remote_id]={m.get('remote_id')}",
        "contact": op.path,
        "household": f"/people/v2/people/{m.get('primary')}/households",
        "group_membership": op.path,
        "household_membership": op.path,
        "team_assignment": op.path,
    }[op.lookup]


def find(client: PcoClient, op: Op) -> dict | None:
    return {"remote_id": _by_remote_id, "contact": _contact, "household": _household,
            "group_membership": _member, "household_membership": _member,
            "team_assignment": _member}[op.lookup](client, op)


class NotOurs(Exception):
    """PCO has a person with this remote_id who is someone else (remote_ids also come from
    imports out of other systems), and none with our names. The lookup ran because an
    earlier attempt may have landed, so that person may be it (renamed since, here or in
    PCO): neither link nor create, let staff decide."""


def _by_remote_id(client: PcoClient, op: Op) -> dict | None:
    remote_id = int(op.meta["remote_id"])
    doc = client.get("/people/v2/people", {"where[remote_id]": remote_id})
    hits = [r for r in doc.get("data") or []
            if str((r.get("attributes") or {}).get("remote_id")) == str(remote_id)]
    ours = [r for r in hits if _same_name(r.get("attributes") or {}, op.meta)]
    if hits and not ours:
        a = hits[0].get("attributes") or {}
        raise NotOurs(f"PCO person {hits[0]['id']} ({a.get('first_name')} {a.get('last_name')}) "
                      f"already has remote_id {remote_id}; not linked, not created")
    return min(ours, key=lambda r: int(r["id"])) if ours else None


def _same_name(attributes: dict, meta: dict) -> bool:
    """Our create carried the local first and last name; an earlier attempt's person has
    them (a rename since then needs staff, which is rarer than a foreign remote_id)."""
    return all(norm(attributes.get(k)) == norm(meta.get(k)) for k in ("first_name", "last_name"))


def norm(text) -> str | None:
    """sync.norm_name: trimmed, lower-case, inner spaces collapsed."""
    value = re.sub(r"\s+", " ", str(text or "")).strip().lower()
    return value or None


def contact_key(kind: str, a: dict) -> str | None:
    """sync.contact_key over a PCO contact's attributes (street or street_line_1)."""
    if kind == "email":
        return (a.get("address") or "").strip(" ").lower()
    if kind == "phone_number":
        return re.sub(r"\D", "", a.get("number") or "") or None
    street = a.get("street_line_1")
    if street is None and a.get("street"):
        street = str(a["street"]).split("\n")[0]
    return norm(" ".join(str(x) for x in (street, a.get("city"), a.get("zip")) if x is not None))


def _contact(client: PcoClient, op: Op) -> dict | None:
    taken = set(op.meta.get("taken") or [])
    for rec, _ in client.records(op.path):
        if rec["id"] not in taken and \
                contact_key(op.entity, rec.get("attributes") or {}) == op.meta.get("match_key"):
            return rec
    return None


def _household(client: PcoClient, op: Op) -> dict | None:
    primary, name = str(op.meta["primary"]), op.meta.get("name")
    for rec, _ in client.records(f"/people/v2/people/{primary}/households"):
        a = rec.get("attributes") or {}
        if str(a.get("primary_contact_id")) == primary and (name is None or a.get("name") == name) \
                and rec["id"] not in set(op.meta.get("taken") or []):
            return rec
    return None


def _member(client: PcoClient, op: Op) -> dict | None:
    """A group's or household's membership (or a team position's assignment) of
    op.meta["person"], from the list at op.path."""
    person = str(op.meta["person"])
    for rec, _ in client.records(op.path):
        ref = ((rec.get("relationships") or {}).get("person") or {}).get("data") or {}
        if str(ref.get("id")) == person:
            return rec
    return None
