"""List query semantics as PCO has them: per_page/offset, where[...], order, include."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from .errors import ApiError
from .schema import Resource

WHERE = re.compile(r"^where\[([a-z_0-9]+)\](?:\[(gt|gte|lt|lte)\])?$")
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OPS = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
       "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}


@dataclass
class ListQuery:
    per_page: int = 25
    offset: int = 0
    where: list[tuple[str, str | None, str]] = field(default_factory=list)  # attr, op, value
    order: tuple[str, bool] | None = None  # attr, descending
    include: tuple[str, ...] = ()
    params: list[tuple[str, str]] = field(default_factory=list)  # as received, for links

    def cache_key(self) -> tuple:
        return (tuple(self.where), self.order)


def _int_param(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, "Bad Request", f"{name} must be an integer, got {raw!r}",
                       parameter=name) from None


def parse(params: list[tuple[str, str]], res: Resource, *, listing: bool) -> ListQuery:
    q = ListQuery(params=list(params))
    for key, value in params:
        if key == "per_page" and listing:
            q.per_page = min(max(_int_param(key, value), 1), 100)
        elif key == "offset" and listing:
            q.offset = _int_param(key, value)
            if q.offset < 0:
                raise ApiError(400, "Bad Request", "offset must not be negative",
                               parameter="offset")
        elif key == "include":
            names = tuple(n for n in (x.strip() for x in value.split(",")) if n)
            unknown = [n for n in names if n not in res.can_include]
            if unknown:
                raise ApiError(400, "Bad Request",
                               f"The include {unknown[0]!r} is not valid for {res.type}",
                               parameter="include")
            q.include = tuple(dict.fromkeys(names))
        elif key == "order" and listing:
            desc = value.startswith("-")
            attr = value.lstrip("-")
            if attr not in res.order_by and attr != "id":
                raise ApiError(400, "Bad Request", f"Cannot order {res.type} by {attr!r}",
                               parameter="order")
            q.order = (attr, desc)
        elif key.startswith("where[") and listing:
            m = WHERE.match(key)
            if not m:
                raise ApiError(400, "Bad Request", f"Malformed query parameter {key!r}",
                               parameter=key)
            attr, op = m.group(1), m.group(2)
            if attr not in res.query_by:
                raise ApiError(400, "Bad Request", f"Cannot query {res.type} by {attr!r}",
                               parameter=key)
            if op and attr not in res.datetime_attrs and attr not in res.date_attrs \
                    and attr not in res.integer_attrs:
                raise ApiError(400, "Bad Request",
                               f"{attr} does not support the {op} comparison", parameter=key)
            q.where.append((attr, op, value))
    return q


def parse_when(value: str, tz: str, parameter: str) -> datetime:
    """Full UTC ISO-8601 as PCO expects; a bare date is read in the organisation's zone."""
    v = value.strip()
    try:
        if DATE_ONLY.match(v):
            d = datetime.strptime(v, "%Y-%m-%d").replace(tzinfo=ZoneInfo(tz))
            return d.astimezone(timezone.utc)
        d = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "Bad Request", f"{value!r} is not a valid date-time",
                       parameter=parameter) from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=ZoneInfo(tz))
    return d.astimezone(timezone.utc)


def matcher(res: Resource, attr: str, op: str | None, value: str, tz: str, render_value):
    """A predicate over records for one where[...] clause; render_value(rec, attr) gives
    the value as the API shows it (derived attributes included)."""
    param = f"where[{attr}]" + (f"[{op}]" if op else "")
    if attr == "id":
        ids = {x.strip() for x in value.split(",")}
        return lambda rec: rec["id"] in ids
    if attr == "archive_status":  # query-only: not_archived (PCO's default), only, include
        want = value.strip().lower()
        if want == "include":
            return lambda rec: True
        if want == "only":
            return lambda rec: rec.get("archived_at") is not None
        # Unknown values read as the default, as PCO does (developers#1189).
        return lambda rec: rec.get("archived_at") is None
    if attr in ("search_name", "search_name_or_email"):
        needle = value.strip().lower()
        return lambda rec: needle in (render_value(rec, "name") or "").lower()
    if attr in res.datetime_attrs or attr in res.date_attrs:
        when = parse_when(value, tz, param)
        is_date = attr in res.date_attrs
        target = when.date().isoformat() if is_date else when
        cmp = OPS[op] if op else (lambda a, b: a == b)

        def pred(rec):
            raw = render_value(rec, attr)
            if raw is None:
                return False
            have = raw if is_date else datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return cmp(have, target)
        return pred
    if attr in res.integer_attrs:
        n = _int_param(param, value)
        cmp = OPS[op] if op else (lambda a, b: a == b)
        return lambda rec: render_value(rec, attr) is not None and cmp(
            int(render_value(rec, attr)), n)
    if attr in res.boolean_attrs:
        want = value.strip().lower() in ("true", "1", "t", "yes")
        return lambda rec: bool(render_value(rec, attr)) == want
    needle = value.lower()
    return lambda rec: str(render_value(rec, attr) or "").lower() == needle


def id_key(rid: str) -> tuple:
    return (0, int(rid), "") if rid.isdigit() else (1, 0, rid)


def sort_key(attr: str, render_value):
    def key(rec):
        if attr == "id":
            return id_key(rec["id"])
        v = render_value(rec, attr)
        if isinstance(v, str):
            v = v.lower()
        return (v is None, v if v is not None else 0, id_key(rec["id"]))
    return key
