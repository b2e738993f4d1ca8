"""The push's settings: Airflow Variables as airflow_settings.yaml ships them, and clear
errors for values that cannot be used."""
from __future__ import annotations

import pytest

from devkit import airflow_settings as settings
from pco_sync.push.settings import DEFAULT_FIELDS, VARIABLES, PushSettings, SettingsError


def test_shipped_variables_are_the_defaults():
    shipped = {e["variable_name"]: e["variable_value"] for e in settings.load()["variables"]}
    assert set(VARIABLES.values()) <= set(shipped)
    assert PushSettings.from_variables(shipped.get) == PushSettings()
    assert PushSettings().require_email and PushSettings().everyone


def test_unset_variables_take_the_defaults():
    assert PushSettings.from_variables(lambda name: None) == PushSettings()


def test_values_are_parsed_and_names_always_sent():
    s = PushSettings.parse({"scope": "sync_groups", "sync_groups": '["Members", 7]',
                            "require_email": "false", "fields": '["emails", "birthdate"]'})
    assert (s.scope, s.sync_groups, s.require_email) == ("sync_groups", ("Members", "7"), False)
    assert s.fields == ("first_name", "last_name", "emails", "birthdate")
    assert set(DEFAULT_FIELDS) >= {"first_name", "last_name", "emails", "phone_numbers"}


@pytest.mark.parametrize("values, message", [
    ({"scope": "some"}, "pco_sync_push_scope must be one of"),
    ({"scope": "sync_groups"}, "names no group"),
    ({"fields": '["emails", "shoe_size"]'}, "unknown shoe_size"),
    ({"fields": "emails"}, "not valid JSON"),
    ({"require_email": "maybe"}, "must be true or false"),
    ({"active_only": "sometimes"}, "pco_sync_push_active_only must be true or false"),
])
def test_bad_values_say_which_variable_and_why(values, message):
    with pytest.raises(SettingsError, match=message):
        PushSettings.parse(values)
