"""Where the SQL lives: every statement pco-sync runs is a file under include/sql/, read by
name here (``sqlfiles.read("merge/people/match.sql")``).

The folder is a setting, so an installed package or a baked image finds it too:
``PCO_SYNC_SQL_DIR`` when set; otherwise the first of ``include/sql`` beside the plugins
folder this package came from (a checkout), ``$AIRFLOW_HOME/include/sql`` and
``/opt/airflow/include/sql`` (the official image's layout) that exists.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from psycopg import sql

from pco_sync.errors import SqlFilesError

ENV = "PCO_SYNC_SQL_DIR"


def candidates() -> list[Path]:
    found = [Path(__file__).resolve().parents[2] / "include" / "sql"]
    if os.environ.get("AIRFLOW_HOME"):
        found.append(Path(os.environ["AIRFLOW_HOME"]) / "include" / "sql")
    found.append(Path("/opt/airflow/include/sql"))
    return found


def root() -> Path:
    """The include/sql folder (see the module doc for where it is looked for)."""
    if os.environ.get(ENV):
        path = Path(os.environ[ENV]).expanduser()
        if not path.is_dir():
            raise SqlFilesError(f"{ENV}={path} is not a folder; point it at the project's include/sql")
        return path
    for path in candidates():
        if (path / "schema").is_dir():
            return path
    raise SqlFilesError(f"include/sql not found (looked in {', '.join(map(str, candidates()))}); "
                        f"set {ENV} to the project's include/sql folder")


@lru_cache(maxsize=None)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def read(name: str) -> str:
    """The text of include/sql/<name>."""
    path = root() / name
    if not path.is_file():
        raise SqlFilesError(f"no SQL file {name} in {root()}")
    return _read(path)


def statement(name: str, **identifiers: sql.Composable) -> sql.Composed:
    """include/sql/<name> with its {placeholders} filled by psycopg.sql objects (table names
    as sql.Identifier, never spliced as text)."""
    return sql.SQL(read(name)).format(**identifiers)


def staging_table(stream: str) -> sql.Identifier:
    """pco_staging.<stream>, as an identifier."""
    return sql.Identifier("pco_staging", stream)
