"""Provider info for Airflow's providers manager (the ``apache_airflow_provider`` entry point).

Airflow reads the connection form from here without importing the hook: since 3.2 the
declarative ``ui-field-behaviour`` / ``conn-fields`` replace the hook's form methods. No
Airflow imports, so listing providers stays cheap.
"""
from __future__ import annotations

CONN_TYPE = "pco"
HOOK_NAME = "Planning Center"
DEFAULT_BASE_URL = "https://api.planningcenteronline.com"

# Python-style field behaviour (what BaseHook.get_ui_field_behaviour returns).
UI_FIELD_BEHAVIOUR = {
    "hidden_fields": ["schema", "port", "extra"],
    "relabeling": {"host": "Base URL", "login": "Application ID", "password": "Secret"},
    "placeholders": {
        "host": DEFAULT_BASE_URL,
        "login": "Personal access token Application ID",
        "password": "Personal access token Secret",
    },
}

# No extra fields: PCO signs webhooks with a secret per subscription, which the subscriptions
# DAG keeps in a Variable (pco_sync.webhooks.settings), not one secret per connection.
CONN_FIELDS: dict = {}


def get_provider_info() -> dict:
    return {
        "package-name": "pco-sync",
        "name": "Planning Center (pco-sync)",
        "description": "Planning Center Online connection and sync for the church database.",
        "integrations": [{"integration-name": HOOK_NAME, "tags": ["service"],
                          "external-doc-url": "https://developer.planning.center/docs/"}],
        "hooks": [{"integration-name": HOOK_NAME, "python-modules": ["pco_sync.airflow.hooks"]}],
        "connection-types": [{
            "hook-class-name": "pco_sync.airflow.hooks.PcoHook",
            "hook-name": HOOK_NAME,
            "connection-type": CONN_TYPE,
            "ui-field-behaviour": {
                "hidden-fields": UI_FIELD_BEHAVIOUR["hidden_fields"],
                "relabeling": UI_FIELD_BEHAVIOUR["relabeling"],
                "placeholders": UI_FIELD_BEHAVIOUR["placeholders"],
            },
            "conn-fields": CONN_FIELDS,
        }],
    }
