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

# How the connection signs in (docs/connecting.md). A personal access token (Application
# ID and Secret above) serves one church; a deployment serving several churches is an OAuth
# application: each church is connected on the PCO Sync page, its tokens kept in its own
# database, and this connection names the application's own connection (client id and
# secret as Application ID and Secret). Webhook secrets are per subscription, in a Variable.
AUTH_PERSONAL, AUTH_OAUTH = "personal_access_token", "oauth"
OAUTH_APP_CONN_ID = "pco_oauth_app"
CONN_FIELDS: dict = {
    "auth_mode": {
        "label": "Authentication",
        "description": "personal_access_token: the Application ID and Secret of a PCO "
                       "personal access token (one church). oauth: the church connects with "
                       "Planning Center on the PCO Sync page.",
        "schema": {"type": ["string", "null"], "enum": [AUTH_PERSONAL, AUTH_OAUTH, None],
                   "default": AUTH_PERSONAL},
    },
    "oauth_app_conn_id": {
        "label": "OAuth application connection",
        "description": "oauth only: the connection holding the deployment's OAuth "
                       "application (client id as Application ID, secret as Secret).",
        "schema": {"type": ["string", "null"], "default": OAUTH_APP_CONN_ID},
    },
}


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
