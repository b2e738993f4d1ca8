"""The "Sync summary" tab of a DAG run: the plugin's registration and the page it renders.
(Reading a real run's XCom from the metadata DB is covered in test_dag_e2e.)"""
from __future__ import annotations

import importlib.util
from datetime import datetime, timezone
from pathlib import Path

from pco_sync.airflow import summary_page as run_summary
from pco_sync.airflow.plugin import URL_PREFIX

PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "pco_sync_plugin.py"
RUN = {"state": "failed", "conf": {"full_refresh": True},
       "data_interval": (datetime(2026, 11, 23, 17, tzinfo=timezone.utc),
                         datetime(2026, 11, 23, 17, 15, tzinfo=timezone.utc)),
       "summary": {"people": {"created": 7, "updated": 0, "unchanged": 3, "quarantined": 1,
                              "needs_review": 2, "conflicts": 0},
                   "push people": {"created": 1, "failed": 4}},
       "tasks": {"validate.people": "failed", "merge.people": "upstream_failed", "extract.people": "success"}}


def load_plugin():
    """The plugins folder's entry file, loaded as Airflow's plugins manager loads it."""
    spec = importlib.util.spec_from_file_location("pco_sync_plugin_under_test", PLUGIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plugin_adds_a_tab_to_every_dag_run_and_a_page_to_the_menu():
    plugin = load_plugin()
    menu, view = plugin.PcoSyncPlugin.external_views
    assert (menu["name"], menu["destination"], menu["href"]) == (
        "PCO Sync", "nav", URL_PREFIX + "/review")
    assert view["destination"] == "dag_run"
    assert view["href"] == URL_PREFIX + "/runs/{DAG_ID}/{RUN_ID}"
    (app,) = plugin.PcoSyncPlugin.fastapi_apps
    assert app["url_prefix"] == URL_PREFIX
    paths = {route.path for route in app["app"].routes}
    assert "/runs/{dag_id}/{run_id:path}" in paths
    assert {"/review", "/review/{dag_id}", "/review/{dag_id}/api/act", "/review/{dag_id}/api/sync-now",
            "/review/{dag_id}/api/policy"} <= paths


def test_page_shows_counts_per_entity_and_what_did_not_finish():
    html = run_summary.render("pco_sync", "manual__2026-11-23", RUN)
    assert "<th>needing review</th>" in html
    assert "<h3>pulled from PCO</h3>" in html and "<h3>pushed to PCO</h3>" in html
    assert "<tr><th>people</th><td>7</td><td>0</td><td>3</td><td>1</td><td>2</td><td>0</td></tr>" in html
    # the push table has the push's own columns
    assert "<tr><th>entity</th><th>created</th><th>failed</th></tr><tr><th>people</th><td>1</td><td>4</td></tr>" in html
    assert "<code>validate.people</code>: failed" in html
    assert "<code>merge.people</code>: upstream_failed" in html
    assert "extract.people</code>" not in html
    two_words = run_summary.render("pco_sync", "manual__x", {**RUN, "summary": {
        "group_memberships": RUN["summary"]["people"]}})
    assert "<tr><th>group memberships</th>" in two_words  # entity names as words


def test_page_says_what_the_run_read_not_airflows_interval():
    read = {"people": "changes from 2026-11-23 16:02:00 UTC to 2026-11-23 17:41:09 UTC",
            "households": "whole"}
    html = run_summary.render("pco_sync", "manual__2026-11-23", {**RUN, "read": read})
    assert "<li>people: changes from 2026-11-23 16:02:00 UTC to 2026-11-23 17:41:09 UTC</li>" in html
    assert "<li>households: whole</li>" in html and "data interval" not in html
    # a run summarized before reads were recorded: Airflow's interval, named as such
    assert "Airflow's data interval <code>2026-11-23 17:00:00+00:00</code>" in run_summary.render(
        "pco_sync", "manual__2026-11-23", RUN)


def test_page_escapes_what_it_shows_and_handles_missing_runs():
    evil = "manual__<script>alert(1)</script>"
    html = run_summary.render("pco_sync", evil, {**RUN, "summary": None, "tasks": {}})
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "summarize task has not run" in html
    assert "No run" in run_summary.render("pco_sync", "nope", None)


def test_page_heads_with_the_run_says_what_was_not_read_and_what_needs_a_person():
    summary = {"people": {"created": 1, "updated": 0, "unchanged": 0, "quarantined": 0,
                          "needs_review": 0, "conflicts": 0},
               "groups": {"status": "not read: no access (PCO answered 403: ...)"},
               "push people": {"created": 1}}
    open_items = [{"kind": "conflicts", "this_run": 1, "open_now": 4}]
    html = run_summary.render("pco_sync", "manual__x", {**RUN, "summary": summary,
                                                       "conf": {"dry_run": True},
                                                       "open_items": open_items},
                              "/plugin/pco-sync")
    assert "<title>Sync summary of pco_sync run manual__x</title>" in html
    assert "<h2>Sync summary of pco_sync run manual__x</h2>" in html
    assert "<td class='status' colspan='6'>not read: no access" in html
    assert "class='banner'><b>Dry run:</b> nothing was sent to PCO" in html
    assert "<tr><th>conflicts</th><td>1</td><td>4</td></tr>" in html
    assert "<a target='_top' href='/plugin/pco-sync'>Settle them on the PCO Sync page</a>" in html
    assert "overflow-x:auto" in html  # wide tables scroll inside the tab instead of hiding columns
    plain = run_summary.render("pco_sync", "manual__x", RUN)
    assert "Dry run" not in plain and "Needs a person" not in plain


def test_a_run_in_progress_shows_how_far_each_running_task_is_and_reloads():
    now = datetime(2026, 11, 23, 17, 5, tzinfo=timezone.utc)
    figures = {"step": "people", "stream": "people", "pages": 24, "done": 2400, "total": 8000,
               "unit": "records staged", "started": "2026-11-23T17:04:00+00:00",
               "updated": "2026-11-23T17:04:58+00:00", "left": 32.0, "final": False}
    running = {**RUN, "state": "running", "summary": None,
               "tasks": {"extract.people": "running", "merge.groups": "running",
                         "extract.groups": "success", "push.people": "none"},
               "started": {"merge.groups": datetime(2026, 11, 23, 17, 4, 20, tzinfo=timezone.utc)},
               "progress": {"extract.people": figures,
                            "extract.groups": {**figures, "final": True}}}
    html = run_summary.render("pco_sync", "manual__x", running, now=now)
    assert "<meta http-equiv='refresh' content='3'>" in html and "<h3>In progress</h3>" in html
    assert ("<tr><th>extract.people</th><td>people 2,400 of 8,000 records staged (24 pages)</td>"
            "<td>30%</td><td>about 30 s</td><td>2 s ago</td></tr>") in html
    assert "<tr><th>merge.groups</th><td colspan='4'>running for 40 s</td></tr>" in html
    assert "extract.groups" not in html  # finished: its counts come with the summary
    assert "The counts show here once the run has finished." in html
    assert "No counts" not in html and "No data interval" not in html
    # what a task reported is text, not markup
    evil = {**running, "progress": {"extract.people": {**figures, "step": "<b>x</b>"}}}
    assert "&lt;b&gt;x&lt;/b&gt;" in run_summary.render("pco_sync", "manual__x", evil, now=now)


def test_a_finished_run_does_not_reload():
    done = {**RUN, "state": "success", "progress": {"extract.people": {"done": 1}},
            "tasks": {"extract.people": "success"}}
    html = run_summary.render("pco_sync", "manual__x", done)
    assert "http-equiv='refresh'" not in html and "In progress" not in html


def test_the_pco_sync_page_shows_the_sync_in_progress_and_keeps_it_current():
    """While a run is in progress the PCO Sync page shows its running tasks as the tab does
    (a merge says the step it is in) and polls /api/progress; reported text stays text."""
    from pco_sync.airflow import review_page

    now = datetime(2026, 11, 23, 17, 5, tzinfo=timezone.utc)
    merging = {"step": "merge people", "statement": "people/candidates.sql", "done": 3,
               "total": 12, "unit": "steps", "started": "2026-11-23T17:04:00+00:00",
               "updated": "2026-11-23T17:04:59+00:00", "left": None, "final": False}
    run = {**RUN, "state": "running", "summary": None,
           "tasks": {"merge.people": "running", "validate.teams": "running"},
           "started": {"validate.teams": datetime(2026, 11, 23, 17, 4, 50, tzinfo=timezone.utc)},
           "progress": {"merge.people": {**merging, "step": "merge <b>people</b>"}}}
    rows = run_summary.progress_rows(run, now)
    assert rows[0]["what"] == ("merge <b>people</b> 3 of 12 steps "
                               "(now people/candidates.sql)")
    syncing = {"run_id": "manual__x", "url": review_page.run_url("pco_sync", "manual__x"),
               "rows": rows}
    html = review_page.render("/pco-sync/review/pco_sync", "pco_sync", {}, "conflicts", [], {},
                              syncing=syncing)
    assert "Sync in progress" in html and "href='/dags/pco_sync/runs/manual__x'" in html
    assert "merge &lt;b&gt;people&lt;/b&gt; 3 of 12 steps (now people/candidates.sql)" in html
    assert "<td colspan='4'>running for 10 s</td>" in html
    assert "API + '/progress'" in html
    idle = review_page.render("/pco-sync/review/pco_sync", "pco_sync", {}, "conflicts", [], {})
    assert "<section id='syncing' hidden>" in idle  # shown by the script once a run starts
