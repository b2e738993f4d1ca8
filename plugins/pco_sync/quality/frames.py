"""What a row check runs on: a Frame is one flat table of a stream's staged rows (a query in
include/sql/quality/, plus columns derived in pandas), checked by the frame's suite file
include/gx/expectations/<name>.json (quality.suites): the rules are data, Python only says
which rows and how their columns are derived. The helpers derive the columns suites read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

# Characters that make a name look present without showing anything.
INVISIBLE = re.compile(r"[\s\u00ad\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Frame:
    """One flat table of a stream's staged rows; its suite is the file named like it."""

    name: str  # also its GX suite, data asset and checkpoint
    query: str  # include/sql/quality/<file>: this run's rows of the stream; first column pco_id
    derive: Callable[[object], object]  # adds the checked columns to a DataFrame
    columns: tuple[str, ...]  # reported with each failing row (a detail may name them)
    # (kind, id column) when the rows are a record's contacts: a failing row quarantines
    # that contact, and the record is merged without it.
    contact: tuple[str, str] | None = None


# ---- column helpers ---------------------------------------------------------------------
def visible(value):
    """The text without invisible characters; None when nothing is left."""
    return (INVISIBLE.sub("", value) or None) if isinstance(value, str) else None


def stripped(value):
    return (value.strip() or None) if isinstance(value, str) else None


def as_text(value):
    return value if isinstance(value, str) else None


def column(df, source: str, fn):
    """fn over a column as a column of Python objects (None stays None, unlike map())."""
    import pandas as pd
    return pd.Series([fn(v) for v in df[source]], index=df.index, dtype=object)


def as_date(value):
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None


def when(value):
    """A zone-aware ISO-8601 time, or None (missing or malformed)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def time_ok(value) -> bool:
    """Blank, or a time that parses."""
    return value is None or when(value) is not None
