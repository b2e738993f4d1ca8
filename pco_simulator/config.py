"""Simulator settings: credentials, OAuth applications, rate limits, quirks and time scale."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass
class Quirks:
    """Real-API behaviours, all on by default; tests switch one off to isolate another."""

    # Adding/removing household members does not bump person or household updated_at (#1253).
    household_membership_no_bump: bool = True
    # Groups carry no updated_at (#780); a member leaving destroys the membership (#1498).
    groups_without_updated_at: bool = True
    # Offset paging is recomputed per request, so a record updated mid-scan moves.
    offset_not_snapshot: bool = True
    # A merge moves the removed person's contacts and households to the kept person.
    merge_moves_contacts: bool = True
    # Services teams deleted in the UI stay listed with deleted_at for 30 days.
    deleted_teams_linger: bool = True
    # A household's member_count is null in the answer to its own POST (as recorded).
    household_create_null_member_count: bool = True

    def update(self, values: dict) -> None:
        names = {f.name for f in fields(self)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"unknown quirk(s): {', '.join(sorted(unknown))}")
        for k, v in values.items():
            setattr(self, k, bool(v))


DEFAULT_OAUTH_CLIENT_ID = "pco_oauth_client_id"
DEFAULT_OAUTH_CLIENT_SECRET = "pco_oauth_client_secret"


@dataclass
class OAuthClient:
    """An OAuth application registered with PCO: its client id and secret and the redirect
    URIs it registered. With no redirect URIs any http(s) URI on 127.0.0.1, localhost or
    [::1] is accepted (handy for tests and `make airflow` on any port)."""

    client_id: str = DEFAULT_OAUTH_CLIENT_ID
    secret: str = DEFAULT_OAUTH_CLIENT_SECRET
    redirect_uris: tuple[str, ...] = ()
    name: str = "pco-sync"


@dataclass
class SimConfig:
    app_id: str = "pco_app_id"
    secret: str = "pco_secret"
    rate_limit: int = 100
    rate_period: float = 20.0  # seconds, before time_scale
    deep_offset_threshold: int = 30_000
    deep_offset_limit: int = 75  # per period, for requests with offset above the threshold
    time_scale: float = 1.0  # 0.05 makes a 20 s window last 1 s (same ratios)
    organization_id: str = "263468"
    organization_name: str = "Grace Community Church"
    time_zone: str = "America/New_York"
    webhook_retry_base: float = 30.0  # seconds before the first redelivery (scaled)
    webhook_max_attempts: int = 16
    team_linger_days: float = 30.0
    # Products the token's user cannot use (the church has no Services, say): every request
    # to them answers 403 as PCO does.
    without_products: tuple[str, ...] = ()
    quirks: Quirks = field(default_factory=Quirks)
    # OAuth 2 (docs/simulator.md, "OAuth 2"): the registered applications, and lifetimes in
    # seconds. Access and refresh token lifetimes are multiplied by time_scale like every
    # other window; codes live oauth_code_seconds of the simulator's clock.
    oauth_clients: list[OAuthClient] = field(default_factory=lambda: [OAuthClient()])
    oauth_access_seconds: float = 7200.0
    oauth_refresh_seconds: float = 90 * 86400.0
    oauth_code_seconds: float = 600.0
    # The PCO person who approves when the request names no simulator_user (default: the
    # lowest person id, PCO's first person, an administrator of the organization).
    oauth_user_id: str | None = None

    @property
    def effective_period(self) -> float:
        return self.rate_period * self.time_scale

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("secret")
        for client in d["oauth_clients"]:
            client.pop("secret")
        return d

    def oauth_client(self, client_id: str | None) -> OAuthClient | None:
        for client in self.oauth_clients:
            if client_id is not None and client.client_id == client_id:
                return client
        return None
