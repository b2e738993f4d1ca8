"""The PCO webhook events pco-sync subscribes to, and what each asks the drain to read
fresh from PCO: the payload's own record, or the record it belongs to (a person's email
means that person; a group membership means that group and its member list). The registry
resource that merges what is read follows from the stream. Pure data and functions.

PCO offers no calendar webhooks and no household membership events (a move between
households is seen by the 6-hourly households snapshot); teams neither. What has no event
is kept by the 15-minute runs alone.
"""
from __future__ import annotations

from dataclasses import dataclass

from pco_sync.pco import resources

# stream read fresh -> the registry resource whose merge takes it
MERGED_BY = {"people": "people", "person_mergers": "people", "households": "households",
             "groups": "groups"}


@dataclass(frozen=True)
class Event:
    stream: str            # what is read fresh by id (a registry stream)
    via: str | None = None  # the payload relationship naming the record; None: the record itself

    @property
    def resource(self) -> str:
        return MERGED_BY[self.stream]


def _events() -> dict[str, Event]:
    out = {}
    for app, kind, actions, event in (
            ("people", "person", ("created", "updated", "destroyed"), Event("people")),
            ("people", "email", ("created", "updated", "destroyed"), Event("people", "person")),
            ("people", "phone_number", ("created", "updated", "destroyed"),
             Event("people", "person")),
            ("people", "address", ("created", "updated", "destroyed"), Event("people", "person")),
            ("people", "person_merger", ("created",), Event("person_mergers")),
            ("people", "household", ("created", "updated", "destroyed"), Event("households")),
            ("groups", "group", ("created", "updated", "destroyed"), Event("groups")),
            ("groups", "membership", ("created", "updated", "destroyed"),
             Event("groups", "group"))):
        for action in actions:
            out[f"{app}.v2.events.{kind}.{action}"] = event
    return out


EVENTS: dict[str, Event] = _events()
# A contact event whose payload does not name its person is looked up in the local copy.
CONTACT_KINDS = {"Email": "email", "PhoneNumber": "phone_number", "Address": "address"}


def event(name: str) -> Event | None:
    return EVENTS.get(name)


def names_for(synced: list[str] | tuple[str, ...]) -> list[str]:
    """The events to subscribe to for a church that syncs the resources `synced`."""
    return [name for name, e in EVENTS.items() if e.resource in synced]


def target(name: str, payload: dict) -> tuple[str, str | None] | None:
    """(stream, PCO id to read) a delivery asks for; the id is None when the payload does not
    name it (then the local copy may: CONTACT_KINDS). None: an event pco-sync does not read."""
    e = event(name)
    if e is None:
        return None
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return e.stream, None
    if e.via is None:
        return e.stream, _id(data.get("id"))
    rel = (data.get("relationships") or {}).get(e.via)
    ref = rel.get("data") if isinstance(rel, dict) else None
    return e.stream, _id(ref.get("id")) if isinstance(ref, dict) else None


def _id(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def merge_order(streams) -> list[str]:
    """The registry resources merging `streams` (any stream of theirs), in merge order."""
    return [name for name, r in resources.RESOURCES.items() if set(r.streams) & set(streams)]
