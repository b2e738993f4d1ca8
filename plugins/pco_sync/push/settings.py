"""What the push sends and for whom: Airflow Variables (see airflow_settings.yaml), read by
the push tasks at run time, so a church changes them without touching code.

    pco_sync_push_scope          "everyone" | "sync_groups"
    pco_sync_push_sync_groups    local groups (names or ids) whose current members are pushed
    pco_sync_push_require_email  true: a person without an email is not created in PCO
    pco_sync_push_fields         what is sent: person fields and contact kinds

Scope and the email rule decide who is created in PCO; people already linked are kept in
step whatever the scope. First and last name are always sent (PCO needs a name).
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
    "max_changes": "pco_sync_push_max_changes",
    "max_share": "pco_sync_push_max_share",
}


@dataclass(frozen=True)
class PushSettings:
    scope: str = "everyone"
    sync_groups: tuple[str, ...] = ()
    require_email: bool = True
    fields: tuple[str, ...] = DEFAULT_FIELDS
    limits: Limits = Limits()  # the push safety gate's

    @property
    def everyone(self) -> bool:
        return self.scope == "everyone"

    @classmethod
    def parse(cls, values: dict[str, Any]) -> "PushSettings":
        """From raw values (Variable strings or already-parsed JSON); missing = default."""
        got = {k: _json(VARIABLES[k], v) for k, v in values.items() if v not in (None, "")}
        scope = str(got.get("scope", "everyone")).strip().lower()
        if scope not in SCOPES:
            raise SettingsError(f"{VARIABLES['scope']} must be one of {', '.join(SCOPES)}, "
                                f"not {scope!r}")
        groups = got.get("sync_groups", [])
        if not isinstance(groups, list):
            raise SettingsError(f"{VARIABLES['sync_groups']} must be a JSON list of group "
                                "names or ids")
        groups = tuple(str(g).strip() for g in groups if str(g).strip())
        if scope == "sync_groups" and not groups:
            raise SettingsError(f"{VARIABLES['scope']} is sync_groups but "
                                f"{VARIABLES['sync_groups']} names no group")
        fields = got.get("fields", list(DEFAULT_FIELDS))
        if not isinstance(fields, list):
            raise SettingsError(f"{VARIABLES['fields']} must be a JSON list")
        unknown = [f for f in fields if f not in PERSON_FIELDS + CONTACT_FIELDS]
        if unknown:
            raise SettingsError(f"{VARIABLES['fields']}: unknown {', '.join(map(str, unknown))}; "
                                f"known: {', '.join(PERSON_FIELDS + CONTACT_FIELDS)}")
        fields = tuple(dict.fromkeys([*ALWAYS, *fields]))
        return cls(scope, groups, _bool(VARIABLES["require_email"],
                                        got.get("require_email", True)), fields,
                   Limits(_number("max_changes", got, int, 1), _number("max_share", got, float, 0.0)))

    @classmethod
    def from_variables(cls, get: Callable[[str], Any]) -> "PushSettings":
        """From the Variables as `get(name)` returns them (None: unset, the default)."""
        return cls.parse({k: get(name) for k, name in VARIABLES.items()})

    def sql_params(self) -> dict:
        return {"fields": list(self.fields), "require_email": self.require_email,
                "everyone": self.everyone}


def _number(key: str, got: dict, kind, minimum):
    """A positive limit of the push safety gate (unset: its default)."""
    value = got.get(key, getattr(Limits(), key))
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or number < minimum or \
            (kind is float and number > 1):
        what = "a whole number of records" if kind is int else "a share between 0 and 1"
        raise SettingsError(f"{VARIABLES[key]} must be {what}, not {value!r}")
    return number


def _json(name: str, value):
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        if name in (VARIABLES["scope"], VARIABLES["require_email"], VARIABLES["max_changes"],
                    VARIABLES["max_share"]):
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
