"""The plugin's pages as Jinja2 templates (templates/, shipped as package data): every
value is escaped as it is written into the page, so whatever PCO or a person typed shows
as text, and a value a template names but the page did not pass fails the render
(StrictUndefined) instead of showing as blank."""
from __future__ import annotations

import json

from jinja2 import Environment, PackageLoader, StrictUndefined

from pco_sync.airflow import frame, look

ENV = Environment(
    loader=PackageLoader("pco_sync.airflow", "templates"),
    autoescape=True,  # everything this environment renders is HTML (the page script has no values)
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# Our own style sheet and scripts, shared with pages outside these templates: trusted, so
# base.html writes them with |safe.
ENV.globals.update(look_head=look.head, frame_script=frame.script_tag)
# A PCO record as the person reads it (json.dumps, not |tojson: that one writes < as \u003c).
ENV.filters["pretty_json"] = lambda value: json.dumps(value, indent=1)


def record_name(payload) -> str | None:
    """What a person calls a PCO record as staged: a person's first and last name, else the
    record's name (a household, group, team, event); None when it has neither."""
    if not isinstance(payload, dict):
        return None
    attrs = payload.get("attributes") if isinstance(payload.get("attributes"), dict) else payload
    full = " ".join(str(attrs[k]).strip() for k in ("first_name", "last_name")
                    if attrs.get(k) not in (None, ""))
    return full or (str(attrs["name"]) if attrs.get("name") not in (None, "") else None)


ENV.filters["record_name"] = record_name


def render(name: str, **values) -> str:
    return ENV.get_template(name).render(**values)


def macros(name: str = "macros.html"):
    """A template's macros, callable from Python (their results are escaped Markup)."""
    return ENV.get_template(name).module
