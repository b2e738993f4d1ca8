"""Write payloads checked the way PCO checks them: 400 for a payload without `data`,
422 Forbidden Attribute for what cannot be assigned, 422 Validation Error otherwise."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone

from .errors import ApiError, forbidden_attribute, validation
from .schema import Resource
from .store import iso

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_INT = 2_147_483_647  # PCO's remote_id is a 4-byte integer
MAX_STRING = 255
HUMAN = {"first_name": "First name", "last_name": "Last name", "remote_id": "Remote id"}


def payload(raw: bytes) -> dict:
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Bad Request", "The request body is not valid JSON",
                       code="invalid_json") from None
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise ApiError(400, "Bad Request",
                       "The payload must be an object with a data key holding the resource",
                       code="invalid_resource_payload")
    data = body["data"]
    for key in ("attributes", "relationships"):
        if key in data and not isinstance(data[key], dict):
            raise ApiError(400, "Bad Request", f"data.{key} must be an object",
                           code="invalid_resource_payload")
    return data


def attributes(res: Resource, data: dict, *, creating: bool) -> dict:
    attrs = data.get("attributes") or {}
    out = {}
    for name, value in attrs.items():
        if name not in res.assignable:
            raise forbidden_attribute(name)
        out[name] = coerce(res, name, value)
    if creating:
        for name in res.required:
            if out.get(name) in (None, ""):
                raise validation(f"{HUMAN.get(name, name.replace('_', ' ').capitalize())} "
                                 "can't be blank", name, res.type)
    return out


def coerce(res: Resource, name: str, value):
    label = HUMAN.get(name, name.replace("_", " ").capitalize())

    def bad(msg: str):
        return validation(f"{label} {msg}", name, res.type)

    if value is None:
        return None
    if name.endswith("_id") and name not in res.integer_attrs:
        if isinstance(value, bool) or not re.fullmatch(r"\d+", str(value)):
            raise bad("is not a valid id")
        return str(value)
    if name in res.integer_attrs:
        if isinstance(value, bool) or not re.fullmatch(r"-?\d+", str(value).strip()):
            raise bad("is not a number")
        n = int(str(value).strip())
        if not 0 <= n <= MAX_INT:
            raise bad(f"must be between 0 and {MAX_INT}")
        return n
    if name in res.boolean_attrs:
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise bad("must be true or false")
    if name in res.date_attrs:
        try:
            d = date.fromisoformat(str(value))
        except ValueError:
            raise bad("is not a valid date") from None
        if d.year < 1850 or d > date.today().replace(year=date.today().year + 1):
            raise bad("is out of range")
        return d.isoformat()
    if name in res.datetime_attrs:
        try:
            d = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise bad("is not a valid date-time") from None
        return iso(d if d.tzinfo else d.replace(tzinfo=timezone.utc))
    if name in res.enums:
        allowed = res.enums[name]
        if value not in allowed:
            raise bad(f"must be one of {', '.join(str(a) for a in allowed if a)}")
        return value
    if isinstance(value, (dict, list)) and name not in ("preferred_weeks",
                                                         "time_preference_option_ids"):
        raise bad("must be a string")
    if isinstance(value, bool):  # a JSON true/false for a text attribute
        raise bad("must be a string")
    if isinstance(value, (int, float)) and name not in ("preferred_weeks",):
        value = str(value)  # Rails casts a number assigned to a string column
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise bad(f"is too long (maximum is {MAX_STRING} characters)")
        if res.type == "Email" and name == "address" and not EMAIL.match(value.strip()):
            raise bad("is invalid")
        if res.type == "WebhookSubscription" and name == "url" and \
                not re.match(r"^https?://", value):
            raise bad("must be an http(s) URL")
    return value


def relationship_ids(data: dict, name: str, *, many: bool) -> list[str] | str | None:
    rel = (data.get("relationships") or {}).get(name)
    if not isinstance(rel, dict) or "data" not in rel:
        return None
    d = rel["data"]
    if many:
        if not isinstance(d, list) or not all(isinstance(x, dict) and "id" in x for x in d):
            raise validation(f"{name} must be a list of resource identifiers", name, "")
        return [str(x["id"]) for x in d]
    if not isinstance(d, dict) or "id" not in d:
        raise validation(f"{name} must be a resource identifier", name, "")
    return str(d["id"])
