"""The names webhooks use per church (pco_sync.churches): the receiver's path, the asset the
receiver records events of, the DAGs, and the Variables holding the receiver's public URL
and the subscriptions' secrets. The default church keeps the plain names.

pco_sync_webhook_url: the public URL PCO posts to, e.g.
    https://airflow.example.org/pco-sync/webhooks/default
    unset: Airflow's [api] base_url + RECEIVER_PATH (the subscriptions DAG says so if neither)
pco_sync_webhook_secrets: {event name: authenticity secret}, written by the subscriptions
    DAG. Airflow masks a Variable whose name holds "secret" in its UI, and each secret is
    registered with the log masker wherever it is read.
"""
from __future__ import annotations

import json

from pco_sync.churches import Church
from pco_sync.errors import SettingsError

URL_PREFIX = "/pco-sync"  # where the plugin's app is mounted (pco_sync.airflow.plugin)
RECEIVER_PATH = "/webhooks/{slug}"
URL_VARIABLE = "pco_sync_webhook_url"
SECRETS_VARIABLE = "pco_sync_webhook_secrets"


def dag_id(church: Church) -> str:
    return "pco_sync_webhooks" if church.is_default else f"pco_sync_webhooks__{church.slug}"


def subscriptions_dag_id(church: Church) -> str:
    return ("pco_sync_webhook_subscriptions" if church.is_default
            else f"pco_sync_webhook_subscriptions__{church.slug}")


def asset_name(church: Church) -> str:
    """The asset whose events schedule the church's webhooks DAG."""
    return f"pco_sync_webhooks__{church.slug}"


def receiver_path(church: Church) -> str:
    """The receiver's path under the API server's root."""
    return URL_PREFIX + RECEIVER_PATH.format(slug=church.slug)


def secrets_variable(church: Church) -> str:
    return church.variable(SECRETS_VARIABLE)


def url_variable(church: Church) -> str:
    return church.variable(URL_VARIABLE)


def receiver_url(church: Church, configured: str | None, api_base_url: str | None) -> str:
    """The URL to subscribe: the Variable's, else Airflow's public base URL + the path."""
    if configured and configured.strip():
        url = configured.strip()
    elif api_base_url and api_base_url.strip():
        url = api_base_url.strip().rstrip("/") + receiver_path(church)
    else:
        raise SettingsError(
            f"{url_variable(church)} is not set and Airflow's [api] base_url neither: set the "
            f"Variable to the public URL PCO can reach, ending in {receiver_path(church)}")
    if not url.startswith(("https://", "http://")):
        raise SettingsError(f"{url_variable(church)} must be an http(s) URL, not {url!r}")
    return url


def parse_secrets(raw: str | None, variable: str) -> dict[str, str]:
    """The secrets Variable's text as {event name: secret} (unset: none). A broken value
    raises SettingsError naming the Variable and never quoting it."""
    if raw is None or not str(raw).strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise SettingsError(f"{variable} is not JSON; run the subscriptions DAG to rewrite "
                            "it") from None
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()):
        raise SettingsError(f"{variable} must be a JSON object from event name to secret; run "
                            "the subscriptions DAG to rewrite it")
    return value


def dump_secrets(secrets: dict[str, str]) -> str:
    return json.dumps(dict(sorted(secrets.items())))
