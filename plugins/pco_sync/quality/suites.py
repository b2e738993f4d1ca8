"""The rules of the row checks: one Great Expectations suite per frame, the file
include/gx/expectations/<frame>.json in GX 1.x's own suite format (name, meta, expectations
with type, kwargs, meta, notes). They are the only place a rule is written.

Each expectation's meta says what the quarantine needs: `check`, the check it belongs to
(sync.quarantine.check_name; a check may have several expectations), and `detail`, a format
string over the failing row's columns. A value that changes by the day is an expectation
parameter the run gives ({"$PARAMETER": "today"}), so the files never change by themselves.

The folder is include/gx beside include/sql (sqlfiles.root()), or PCO_SYNC_GX_DIR.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from pco_sync import sqlfiles
from pco_sync.errors import QualityCheckError

ENV = "PCO_SYNC_GX_DIR"


def root() -> Path:
    """The include/gx folder."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV]).expanduser()
    return sqlfiles.root().parent / "gx"


def path(name: str) -> Path:
    return root() / "expectations" / f"{name}.json"


def names() -> list[str]:
    """Every suite there is a file for."""
    return sorted(p.stem for p in (root() / "expectations").glob("*.json"))


@lru_cache(maxsize=None)
def _text(file: Path) -> str:
    if not file.is_file():
        raise QualityCheckError(f"no expectation suite {file} (set {ENV} to the project's "
                                "include/gx folder)")
    return file.read_text(encoding="utf-8")


def load(name: str) -> dict:
    """The suite file of frame `name` as a fresh dict, checked: it is named like its file
    and every expectation names its check and detail."""
    file = path(name)
    try:
        suite = json.loads(_text(file))
    except ValueError as exc:
        raise QualityCheckError(f"{file} is not JSON: {exc}") from exc
    if suite.get("name") != name or not suite.get("expectations"):
        raise QualityCheckError(f"{file} must name the suite {name!r} and hold expectations")
    for n, exp in enumerate(suite["expectations"]):
        meta = exp.get("meta") or {}
        if not all(isinstance(meta.get(k), str) for k in ("check", "detail")):
            raise QualityCheckError(f"{file}: expectation {n} ({exp.get('type')}) lacks "
                                    "meta.check and meta.detail")
    return suite


def add(context, name: str):
    """Frame `name`'s suite, added to a GX context."""
    import great_expectations as gx

    data = load(name)
    suite = gx.ExpectationSuite(**data)
    if len(suite.expectations) != len(data["expectations"]):
        # GX logs and drops an expectation it cannot read; a rule must never vanish quietly
        raise QualityCheckError(f"{path(name)}: Great Expectations could not read "
                                f"{len(data['expectations']) - len(suite.expectations)} of its "
                                "expectations (see the log above)")
    return context.suites.add(suite)
