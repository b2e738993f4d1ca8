"""What the push sends and for whom: Airflow Variables (see airflow_settings.yaml), read by
the push tasks at run time, so a church changes them without touching code.

    pco_sync_push_scope          "everyone" | "sync_groups"
    pco_sync_push_sync_groups    local groups (names or ids) whose current members are pushed
    pco_sync_push_require_email  true: a person without an email is not created in PCO
    pco_sync_push_fields         what is sent: person fields and contact kinds
    pco_sync_push_active_only    true: only people whose local status is active are created

Scope, the email rule and active_only decide who is created in PCO; people already linked
are kept in step whatever the scope (an inactive linked person's status change is sent as a
status change, never as a delete). First and last name are always sent (PCO needs a name).

With a churches.yaml each church has its own copies (`pco_sync_push_scope__<slug>`, ...) and
the file's `push:` mapping gives its defaults: `names` and `defaults` below.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from pco_sync.errors import SettingsError
from pco_sync.push.gate import Limits

PERSON_FIELDS = ("first_name", "last_name", "nickname", "middle_name", "birthdate", "gender",
                 "status", "membership", "child")
# Contact kinds: every email / phone number / address of a person; "family_address": only
# the addresses of families' primary contacts (a family's address lives there).
CONTACT_FIELDS = ("emails", "phone_numbers", "addresses", "family_address")
ALWAYS = ("first_name", "last_name")
DEFAULT_FIELDS = (*PERSON_FIELDS, "emails", "phone_numbers", "addresses")
SCOPES = ("everyone", "sync_groups")
VARIABLES = {
    "scope": "pco_sync_push_scope",
    "sync_groups": "pco_sync_push_sync_groups",
    "require_email": "pco_sync_push_require_email",
    "fields": "pco_sync_push_fields",
    "active_only": "pco_sync_push_active_only",
    "max_changes": "pco_sync_push_max_changes",
    "max_share": "pco_sync_push_max_share",
}


@dataclass(frozen=True)
class PushSettings:
    scope: str = "everyone"
    sync_groups: tuple[str, ...] = ()
    require_email: bool = True
    fields: tuple[str, ...] = DEFAULT_FIELDS
    # Default true: an inactive local person (moved away, deceased, a record kept for
    # history) should not become a new PCO profile that staff then have to clean up.
    active_only: bool = True
    limits: Limits = Limits()  # the push safety gate's

    @property
    def everyone(self) -> bool:
        return self.scope == "everyone"

    @classmethod
    def parse(cls, values: dict[str, Any], names: dict[str, str] = VARIABLES) -> "PushSettings":
        """From raw values (Variable strings or already-parsed JSON); missing = default.
        `names`: what an error calls each setting (the Variable a church would correct)."""
        got = {k: _json(k, names[k], v) for k, v in values.items() if v not in (None, "")}
        scope = str(got.get("scope", "everyone")).strip().lower()
        if scope not in SCOPES:
            raise SettingsError(f"{names['scope']} must be one of {', '.join(SCOPES)}, "
                                f"not {scope!r}")
        groups = got.get("sync_groups", [])
        if not isinstance(groups, list):
            raise SettingsError(f"{names['sync_groups']} must be a JSON list of group "
                                "names or ids")
        groups = tuple(str(g).strip() for g in groups if str(g).strip())
        if scope == "sync_groups" and not groups:
            raise SettingsError(f"{names['scope']} is sync_groups but "
                                f"{names['sync_groups']} names no group")
        fields = got.get("fields", list(DEFAULT_FIELDS))
        if not isinstance(fields, list):
            raise SettingsError(f"{names['fields']} must be a JSON list")
        unknown = [f for f in fields if f not in PERSON_FIELDS + CONTACT_FIELDS]
        if unknown:
            raise SettingsError(f"{names['fields']}: unknown {', '.join(map(str, unknown))}; "
                                f"known: {', '.join(PERSON_FIELDS + CONTACT_FIELDS)}")
        fields = tuple(dict.fromkeys([*ALWAYS, *fields]))
        return cls(scope, groups, _bool(names["require_email"],
                                        got.get("require_email", True)), fields,
                   _bool(names["active_only"], got.get("active_only", True)),
                   Limits(_number(names["max_changes"], "max_changes", got, int, 1),
                          _number(names["max_share"], "max_share", got, float, 0.0)))

    @classmethod
    def from_variables(cls, get: Callable[[str], Any], names: dict[str, str] = VARIABLES,
                       defaults: dict[str, Any] | None = None) -> "PushSettings":
        """From the Variables `names` as `get(name)` returns them; an unset one (None) takes
        its value from `defaults` (a church's `push:` in churches.yaml), else the default."""
        defaults = defaults or {}
        values = {}
        for key, name in names.items():
            value = get(name)
            values[key] = defaults.get(key) if value is None else value
        return cls.parse(values, names)

    def sql_params(self) -> dict:
        return {"fields": list(self.fields), "require_email": self.require_email,
                "everyone": self.everyone, "active_only": self.active_only}


def _number(name: str, key: str, got: dict, kind, minimum):
    """A positive limit of the push safety gate (unset: its default)."""
    value = got.get(key, getattr(Limits(), key))
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or number < minimum or \
            (kind is float and number > 1):
        what = "a whole number of records" if kind is int else "a share between 0 and 1"
        raise SettingsError(f"{name} must be {what}, not {value!r}")
    return number


def _json(key: str, name: str, value):
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        if key in ("scope", "require_email", "active_only", "max_changes", "max_share"):
            return value  # a bare word is fine here; _bool / the scope check judge it
        raise SettingsError(f"{name} is not valid JSON: {value!r}") from None


def _bool(name: str, value) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("true", "1", "yes", "on"):
        return True
    if str(value).strip().lower() in ("false", "0", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {value!r}")
