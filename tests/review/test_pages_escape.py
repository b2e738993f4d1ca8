"""The plugin's pages come from Jinja2 templates that escape every value (issue 19 item 3):
a person PCO names "<img src=x onerror=alert(1)>" shows as that text on every tab of the
PCO Sync page, in the decision history, on the churches page and in a run's Sync summary,
never as markup the browser would run. Rendered from data shaped as the queries give it,
without a database."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
import tomllib
from jinja2 import UndefinedError

from pco_sync.airflow import review_page, summary_page, templates
from pco_sync.review.queries import KINDS

EVIL = "<img src=x onerror=alert(1)>"
SHOWN = "&lt;img src=x onerror=alert(1)&gt;"
BASE = "/pco-sync/review/pco_sync"


def conflict(id_, record_id, name=EVIL):
    return {"id": id_, "record_kind": "person", "record_id": record_id, "record_pco_id": "77",
            "record_name": name, "entity": "person", "field": "first_name",
            "agreed_value": "Ann", "pco_value": EVIL, "local_value": "Annie", "run_id": "pull-1"}


ITEMS = {
    "conflicts": [conflict(1, 10), conflict(2, 11, "Bo Lee"), conflict(3, 10)],
    "matches": [{"id": 5, "entity": "person", "pco_id": "88", "pco_name": EVIL,
                 "pco_birthdate": None, "pco_gender": None, "pco_emails": [EVIL],
                 "pco_phone_numbers": [], "reason": "same name", "run_id": "pull-1",
                 "decision": None, "decided_by": None, "decided_person_id": None,
                 "candidates": [{"id": 12, "name": EVIL, "members": [EVIL]}]}],
    "quarantine": [{"id": 3, "stream": "people", "pco_id": "55", "contact_kind": None,
                    "contact_id": None, "check_name": "names", "detail": EVIL,
                    "run_id": "pull-1", "payload": {"first_name": EVIL}}],
    "removed": [{"id": 8, "entity": "person", "name": EVIL, "local_id": 20, "pco_id": "66",
                 "reason": "deleted in PCO", "run_id": "pull-1"}],
    "push_failures": [{"id": 12, "operation": "create", "entity": "person", "name": EVIL,
                       "local_id": 4, "method": "POST", "path": "/people/v2/people",
                       "status": 422, "detail": EVIL, "attempts": 1, "retry_after": None,
                       "run_id": "pull-1"}],
    "waiting": [{"kind": "group", "group_name": EVIL, "group_pco_id": "g1",
                 "person_pco_id": "p1", "role": EVIL, "in_match_review": True,
                 "quarantined": False, "run_id": "pull-1"}],
}


def shows_as_text(html: str) -> None:
    assert EVIL not in html and "<img" not in html
    assert SHOWN in html


@pytest.mark.parametrize("kind", [k for k, _, _ in KINDS])
def test_every_tab_shows_a_pco_name_as_text(kind):
    counts = {k: len(v) for k, v in ITEMS.items()}
    shows_as_text(review_page.render(BASE, "pco_sync", counts, kind, ITEMS[kind], {},
                                     backlog={"waiting": 1, "oldest": "2026-01-01",
                                              "failing": 1, "last_error": EVIL}))


def test_conflicts_of_several_records_each_under_their_record():
    html = review_page.render(BASE, "pco_sync", {"conflicts": 3}, "conflicts",
                              ITEMS["conflicts"], {})
    assert html.count("<tr class='record'>") == 2
    # both conflicts of person 10 under its row, which settles both
    assert "all 2: <button data-kind='conflicts' data-action='local' data-ids='[1, 3]'>" in html
    assert "all 1: <button data-kind='conflicts' data-action='local' data-ids='[2]'>" in html


def test_the_history_churches_and_not_synced_pages_show_names_as_text():
    decision = {"at": datetime(2026, 1, 1, 9, 30), "actor": EVIL, "action": "keep",
                "entity": "person", "name": EVIL, "local_id": 4, "pco_id": "77",
                "field": "first_name", "before": {"first_name": EVIL}, "after": [EVIL]}
    shows_as_text(review_page.render_history(BASE, "pco_sync", [decision], "person"))
    shows_as_text(review_page.render_churches([(EVIL, "pco_sync__grace", "/g")],
                                              [("pco_sync__hope", EVIL)]))
    shows_as_text(review_page.render_not_synced("pco_sync", [EVIL], True))


def test_the_sync_summary_shows_pco_text_as_text():
    run = {"state": "success", "conf": {"note": EVIL},
           "data_interval": (datetime(2026, 11, 23, 17, tzinfo=timezone.utc),
                             datetime(2026, 11, 23, 17, 15, tzinfo=timezone.utc)),
           "summary": {"people": {"created": 1}, "groups": {"status": f"not read: {EVIL}"}},
           "read": {"people": EVIL}, "open_items": [{"kind": EVIL, "this_run": 1, "open_now": 1}],
           "tasks": {EVIL: "failed"}}
    shows_as_text(summary_page.render("pco_sync", EVIL, run, "/plugin/pco-sync"))
    shows_as_text(summary_page.render("pco_sync", EVIL, None))


def test_a_value_the_page_did_not_pass_fails_the_render():
    with pytest.raises(UndefinedError):
        templates.render("history.html", base=BASE, rows=[])  # no "what"


def test_every_template_is_package_data():
    folder = Path(templates.__file__).parent / "templates"
    project = Path(templates.__file__).parents[2] / "pyproject.toml"
    patterns = tomllib.loads(project.read_text())["tool"]["setuptools"]["package-data"][
        "pco_sync.airflow"]
    files = [p.relative_to(folder.parent) for p in folder.rglob("*") if p.is_file()]
    assert files
    unshipped = [str(f) for f in files if not any(f.match(p) for p in patterns)]
    assert not unshipped, f"not in plugins/pyproject.toml's package data: {unshipped}"
    # and the pages' Python builds no HTML itself
    for module in (review_page, summary_page):
        assert not re.search(r"""["']<\w""", Path(module.__file__).read_text()), module
