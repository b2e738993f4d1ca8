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
        people_scope: services_active  # optional; default of pco_sync_people_scope (else all)
        schedule_offset: 7             # optional minute 0-14 within each quarter hour

One church's mistake stays its own: an entry that cannot be used (an unknown field, a bad
value, a slug listed twice) is reported for that church alone (`read()`: its DAG fails at
once saying why, the PCO Sync page lists it) while every other church is built and runs.
Only a file that is not a list of churches at all stops them all.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pco_sync.errors import SettingsError
from pco_sync.pco import resources as registry
from pco_sync.pco import scope as people_scopes

FILE_NAME = "churches.yaml"
ENV_FILE = "PCO_SYNC_CHURCHES_FILE"
DEFAULT_SLUG = "default"
SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
KEYS = {"slug", "name", "pco_conn_id", "church_db_conn_id", "resources", "push",
        "schedule_offset", people_scopes.FIELD}
# The push settings' keys (pco_sync.push.settings.VARIABLES; a test keeps them equal: this
# module comes before the push and may not import it).
PUSH_KEYS = {"scope", "sync_groups", "require_email", "fields", "active_only", "max_changes",
             "max_share"}
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
    people_scope: str | None = None  # None: the Variable pco_sync_people_scope, else all

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


@dataclass(frozen=True)
class BrokenChurch:
    """An entry of the file that cannot be used, and why (the message names the church and
    the field). slug: None when the entry has no usable one."""

    position: int
    slug: str | None
    error: str

    @property
    def dag_id(self) -> str:
        """Where the operator finds it: the DAG the church would have, or (no slug) one
        named for its place in the file."""
        return f"pco_sync__{self.slug}" if self.slug else f"pco_sync_broken_entry_{self.position}"

    def as_church(self) -> Church:
        """Its name and connections as the file's defaults would give them (for alerts)."""
        slug = self.slug or f"entry_{self.position}"
        return Church(slug, slug, f"pco_{slug}", f"church_db_{slug}",
                      schedule_offset=stable_offset(slug))


def path() -> Path:
    """Where the churches file is (it may not exist)."""
    if os.environ.get(ENV_FILE):
        return Path(os.environ[ENV_FILE])
    from pco_sync import sqlfiles

    return sqlfiles.root().parent.parent / FILE_NAME  # include/sql -> the repository root


def load(file: Path | None = None, *, strict: bool = False) -> list[Church]:
    """The usable churches of the file; [DEFAULT] when there is no file. A file that is not
    a list of churches raises ChurchesFileError; a broken entry is left out (see read), or
    with `strict` (set-up tools, which apply all or nothing) raises it."""
    churches, broken = read(file)
    if strict and broken:
        raise ChurchesFileError(broken[0].error)
    return churches


def read(file: Path | None = None) -> tuple[list[Church], list[BrokenChurch]]:
    """The usable churches of the file and the broken entries; ([DEFAULT], []) without a
    file. ChurchesFileError only when the file as a whole is unusable."""
    file = Path(file) if file is not None else path()
    if not file.exists():
        return [DEFAULT], []
    import yaml

    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ChurchesFileError(f"{file} is not valid YAML: {exc}") from None
    return entries(data, str(file))


def parse(data, where: str = FILE_NAME) -> list[Church]:
    """Every church of `data`, or ChurchesFileError for the first broken entry."""
    churches, broken = entries(data, where)
    if broken:
        raise ChurchesFileError(broken[0].error)
    return churches


def entries(data, where: str = FILE_NAME) -> tuple[list[Church], list[BrokenChurch]]:
    """The usable churches and the broken entries of `data` (the parsed file). A slug listed
    twice breaks every entry of it: which connections are meant is not known."""
    if not isinstance(data, dict) or not isinstance(data.get("churches"), list) or not data["churches"]:
        raise ChurchesFileError(f"{where}: expected `churches:` with a list of churches")
    parsed: list[tuple[int, Church | BrokenChurch]] = []
    for i, entry in enumerate(data["churches"], 1):
        try:
            parsed.append((i, _church(entry, f"{where}: church {i}")))
        except ChurchesFileError as exc:
            parsed.append((i, BrokenChurch(i, _slug_of(entry), str(exc))))
    slugs = [c.slug for _, c in parsed if c.slug]
    twice = {slug for slug in slugs if slugs.count(slug) > 1}
    churches, broken, reported = [], [], set()
    for i, c in parsed:
        if c.slug in twice:
            if c.slug not in reported:  # one report per slug: one DAG id
                reported.add(c.slug)
                broken.append(BrokenChurch(i, c.slug, f"{where}: church {c.slug!r} is listed "
                                                      "twice; keep one entry"))
        elif isinstance(c, BrokenChurch):
            broken.append(c)
        else:
            churches.append(c)
    return churches, broken


def _slug_of(entry) -> str | None:
    """The entry's slug when it is a usable one (its DAG id can name the broken church)."""
    slug = entry.get("slug") if isinstance(entry, dict) else None
    return slug if isinstance(slug, str) and SLUG.match(slug) and slug != DEFAULT_SLUG else None


def by_slug(slug: str, churches: list[Church] | None = None) -> Church | None:
    return next((c for c in churches or load() if c.slug == slug), None)


def by_dag_id(dag_id: str, churches: list[Church] | None = None) -> Church | None:
    return next((c for c in churches or load() if c.dag_id == dag_id), None)


def shard(slug: str | None, shards: int) -> int:
    """Which of `shards` DAG files builds this church's DAG: from the slug alone, the same on
    every parse and machine (0 for the default church and an entry without a slug)."""
    if not slug or slug == DEFAULT_SLUG:
        return 0
    return int(hashlib.sha256(f"file:{slug}".encode()).hexdigest(), 16) % shards


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
    scope = entry.get(people_scopes.FIELD)
    if scope is not None:
        try:
            scope = people_scopes.people_scope(scope, f"{where}: {people_scopes.FIELD}")
        except SettingsError as exc:
            raise ChurchesFileError(str(exc)) from None
    return Church(slug, texts["name"], texts["pco_conn_id"], texts["church_db_conn_id"],
                  chosen, dict(push), offset, scope)
