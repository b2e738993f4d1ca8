"""The churches one deployment serves, from `churches.yaml` at the repository root (or the file
PCO_SYNC_CHURCHES_FILE names). Each church has its own PCO account (connection), its own
church database (connection), its own pool for PCO calls (PCO's rate limit is per account),
its own Variables and its own DAG `pco_sync__<slug>`.

No file: one church, `default`, exactly as before the file existed (DAG `pco_sync`,
connections `pco_default` and `church_db`, pool `pco_api`, the unsuffixed Variables).

    churches:
      - slug: grace                    # lower case letters, digits, _ (DAG pco_sync__grace)
        name: Grace Church             # optional; shown in the UI
        pco_conn_id: pco_grace         # optional; default pco_<slug>
        church_db_conn_id: church_db_grace   # optional; default church_db_<slug>
        resources: [people, households]      # optional; default: the Variable, else all
        push: {scope: everyone, require_email: true}   # optional; defaults of the push Variables
        schedule_offset: 7             # optional minute 0-14 within each quarter hour
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pco_sync.errors import SettingsError
from pco_sync.pco import resources as registry

FILE_NAME = "churches.yaml"
ENV_FILE = "PCO_SYNC_CHURCHES_FILE"
DEFAULT_SLUG = "default"
SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
KEYS = {"slug", "name", "pco_conn_id", "church_db_conn_id", "resources", "push",
        "schedule_offset"}
PUSH_KEYS = {"scope", "sync_groups", "require_email", "fields", "max_changes", "max_share"}
INTERVAL_MINUTES = 15


class ChurchesFileError(SettingsError):
    """churches.yaml cannot be used; the message names the church and the field."""


@dataclass(frozen=True)
class Church:
    slug: str
    name: str
    pco_conn_id: str
    church_db_conn_id: str
    resources: tuple[str, ...] | None = None  # None: the Variable pco_sync_resources, else all
    push: dict = field(default_factory=dict)  # push settings as PushSettings.parse takes them
    schedule_offset: int = 0                  # minutes after :00, :15, :30, :45

    @property
    def is_default(self) -> bool:
        return self.slug == DEFAULT_SLUG

    @property
    def dag_id(self) -> str:
        return "pco_sync" if self.is_default else f"pco_sync__{self.slug}"

    @property
    def pool(self) -> str:
        """The pool of this church's PCO calls: one slot, per PCO account."""
        return "pco_api" if self.is_default else f"pco_api__{self.slug}"

    def variable(self, name: str) -> str:
        """This church's copy of a pco_sync Variable (`name` itself for the default church)."""
        return name if self.is_default else f"{name}__{self.slug}"


DEFAULT = Church(DEFAULT_SLUG, "Default church", "pco_default", "church_db")


def path() -> Path:
    """Where the churches file is (it may not exist)."""
    if os.environ.get(ENV_FILE):
        return Path(os.environ[ENV_FILE])
    from pco_sync import sqlfiles

    return sqlfiles.root().parent.parent / FILE_NAME  # include/sql -> the repository root


def load(file: Path | None = None) -> list[Church]:
    """The churches of the file; [DEFAULT] when there is no file."""
    file = Path(file) if file is not None else path()
    if not file.exists():
        return [DEFAULT]
    import yaml

    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ChurchesFileError(f"{file} is not valid YAML: {exc}") from None
    return parse(data, str(file))


def parse(data, where: str = FILE_NAME) -> list[Church]:
    if not isinstance(data, dict) or not isinstance(data.get("churches"), list) or not data["churches"]:
        raise ChurchesFileError(f"{where}: expected `churches:` with a list of churches")
    churches, seen = [], set()
    for i, entry in enumerate(data["churches"], 1):
        church = _church(entry, f"{where}: church {i}")
        if church.slug in seen:
            raise ChurchesFileError(f"{where}: church {church.slug!r} is listed twice")
        seen.add(church.slug)
        churches.append(church)
    return churches


def by_slug(slug: str, churches: list[Church] | None = None) -> Church | None:
    return next((c for c in churches or load() if c.slug == slug), None)


def by_dag_id(dag_id: str, churches: list[Church] | None = None) -> Church | None:
    return next((c for c in churches or load() if c.dag_id == dag_id), None)


def stable_offset(slug: str) -> int:
    """A minute 0-14 from the slug alone: the same on every parse and every machine."""
    return int(hashlib.sha256(slug.encode()).hexdigest(), 16) % INTERVAL_MINUTES


def _church(entry, where: str) -> Church:
    if not isinstance(entry, dict):
        raise ChurchesFileError(f"{where}: expected a mapping with at least `slug`")
    slug = entry.get("slug")
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise ChurchesFileError(f"{where}: slug {slug!r} must be lower case letters, digits "
                                "and _, starting with a letter (at most 40)")
    where = f"{where.rsplit(': ', 1)[0]}: church {slug!r}"
    if slug == DEFAULT_SLUG:
        raise ChurchesFileError(f"{where}: the slug 'default' is the deployment without a "
                                "churches file; give the church its own slug")
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise ChurchesFileError(f"{where}: unknown field {', '.join(unknown)} "
                                f"(fields: {', '.join(sorted(KEYS))})")
    texts = {}
    for key, default in (("name", slug), ("pco_conn_id", f"pco_{slug}"),
                         ("church_db_conn_id", f"church_db_{slug}")):
        value = entry.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise ChurchesFileError(f"{where}: {key} must be a non-empty text")
        texts[key] = value.strip()
    chosen = entry.get("resources")
    if chosen is not None:
        try:
            chosen = tuple(registry.names(chosen, f"{where}: resources"))
        except SettingsError as exc:
            raise ChurchesFileError(str(exc)) from None
    push = entry.get("push") or {}
    if not isinstance(push, dict) or set(push) - PUSH_KEYS:
        raise ChurchesFileError(f"{where}: push must be a mapping of "
                                f"{', '.join(sorted(PUSH_KEYS))}")
    offset = entry.get("schedule_offset", stable_offset(slug))
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset < INTERVAL_MINUTES:
        raise ChurchesFileError(f"{where}: schedule_offset must be a whole minute from 0 to "
                                f"{INTERVAL_MINUTES - 1}, not {offset!r}")
    return Church(slug, texts["name"], texts["pco_conn_id"], texts["church_db_conn_id"],
                  chosen, dict(push), offset)
