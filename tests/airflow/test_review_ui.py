"""The PCO Sync page on a real Airflow API server (simple auth manager, three users: admin,
an editor with the "user" role, a read-only viewer) over the test church database:

- permissions: no login is 401; the viewer reads the page and its API but cannot act, save
  policies or start a run (403), and nothing changes;
- each action through the page's HTTP API, with its effect after the next run (pull and
  push against the simulator): keep local reaches PCO, a match link is in church.people;
- policies saved on the page are the Variable the merge reads; Sync now queues a run;
- a real browser (Debian's chromium driven by Playwright) logs in, opens the page from
  Airflow's menu, resolves a conflict and a match review with the buttons; screenshots are
  saved in the test's output folder (and copied to .local/test-output/review-ui/);
- every page in Airflow's frame at 1440x900, light and dark: no console error, no request to
  another origin, nothing wider than the frame; its screenshots in .local/test-output/pages/,
  and, with PCO_SYNC_SCREENSHOTS=1 (`make screenshots`), the README's two (docs/images/):
  a plain test run leaves the repository's files as they are.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from urllib.parse import quote

import pytest
import requests

from pipeline import sync
from push_helpers import DEFAULT, client_for, local_person, pull, push_people, value
from review_helpers import ann_renamed_on_both_sides, conflict_and_review, odd_email_person
from servers import chromium
from test_dag_e2e import ROOT

SHOTS = ROOT / ".local" / "test-output" / "review-ui"
PAGE = "/pco-sync/review/pco_sync"

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def server(pages_server):
    """(base URL, {user: headers}, passwords) of the API server whose church_db is the test
    database (tests/airflow/conftest.py)."""
    base, headers, passwords, _ = pages_server
    return base, headers, passwords


def act(server, user, kind, action, ids, value_=None):
    base, headers, _ = server
    return requests.post(f"{base}{PAGE}/api/act", headers=headers[user], timeout=60,
                         json={"kind": kind, "action": action, "ids": ids, "value": value_})


def test_reading_needs_a_login_and_acting_needs_edit_access(db, db_url, sim, server):
    base, headers, _ = server
    _, ann, cid, rid, twins = conflict_and_review(db, db_url, sim)
    assert requests.get(base + PAGE, timeout=30).status_code == 401
    menu = requests.get(base + "/pco-sync/review", headers=headers["viewer"], timeout=30,
                        allow_redirects=False)  # one church: straight to its page
    assert menu.status_code == 307 and menu.headers["location"] == PAGE
    assert requests.get(base + "/pco-sync/review/other_dag", headers=headers["viewer"],
                        timeout=30).status_code == 404
    page = requests.get(base + PAGE, headers=headers["viewer"], timeout=30)
    assert page.status_code == 200 and "Annie Lee" in page.text
    counts = requests.get(f"{base}{PAGE}/api/counts", headers=headers["viewer"], timeout=30)
    assert counts.json()["conflicts"] == 1 and counts.json()["matches"] == 1

    assert act(server, "viewer", "conflicts", "pco", [cid]).status_code == 403
    assert act(server, "viewer", "matches", "create", [rid]).status_code == 403
    assert requests.put(f"{base}{PAGE}/api/policy", json={"names": "pco_wins"},
                        headers=headers["viewer"], timeout=30).status_code == 403
    assert requests.post(f"{base}{PAGE}/api/sync-now", json={}, headers=headers["viewer"],
                         timeout=30).status_code == 403
    assert value(db, "SELECT resolved_at IS NULL FROM sync.conflicts WHERE id = %s", cid)
    assert value(db, "SELECT decision FROM sync.match_review WHERE id = %s", rid) is None
    assert value(db, "SELECT count(*) FROM sync.resolution_log") == 0


def test_actions_through_the_api_take_effect_on_the_next_run(db, db_url, sim, server):
    base, headers, _ = server
    client, ann, cid, rid, (sam1, sam2) = conflict_and_review(db, db_url, sim)
    answer = act(server, "editor", "conflicts", "local", [cid])
    assert answer.status_code == 200, answer.text
    assert answer.json()["message"] == "Keep local: done for 1 item."
    answer = act(server, "editor", "matches", "link", [rid], sam2)
    assert answer.status_code == 200, answer.text
    # refused: clear words, nothing changed
    again = act(server, "editor", "conflicts", "pco", [cid])
    assert again.status_code == 400 and "already resolved" in again.json()["detail"]
    assert act(server, "editor", "conflicts", "explode", [cid]).status_code == 400

    pull(client, db, db_url, "run-2")
    push_people(db, client, "run-2", DEFAULT)
    ann_pco = value(db, "SELECT pco_id FROM church.people WHERE id = %s", ann)
    assert sim.store.get("people", ann_pco)["first_name"] == "Annie"  # PCO holds the local value
    sam_pco = value(db, "SELECT pco_id FROM sync.match_review WHERE id = %s", rid)
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", sam2) == sam_pco
    assert value(db, "SELECT resolved_at IS NOT NULL FROM sync.match_review WHERE id = %s", rid)
    counts = pull(client, db, db_url, "run-3")["people"]
    assert counts["conflicts"] == 0 and counts["needs_review"] == 0
    history = requests.get(f"{base}{PAGE}/api/history", params={"entity": "person", "local_id": ann},
                           headers=headers["viewer"], timeout=30).json()
    assert [(h["actor"], h["action"]) for h in history] == [("editor", "conflict:local")]


def test_a_typed_value_a_new_person_keep_and_dismiss_through_the_api(db, db_url, sim, server):
    client, ann, cid, rid, twins = conflict_and_review(db, db_url, sim)
    assert act(server, "editor", "conflicts", "value", [cid], "Ann-Marie").status_code == 200
    assert act(server, "editor", "matches", "create", [rid]).status_code == 200
    bad = local_person(db, "Bad", "Gender", email="bad@example.org", gender="X")
    assert push_people(db, client, "run-2", DEFAULT)["failed"] == 1  # sends Ann-Marie too
    failure = value(db, "SELECT id FROM sync.push_failures WHERE resolved_at IS NULL")
    assert act(server, "editor", "push_failures", "dismiss", [failure]).status_code == 200
    ann_pco = value(db, "SELECT pco_id FROM church.people WHERE id = %s", ann)
    sim.store.delete_person(ann_pco)
    sync(sim, db_url, "run-3", ("people",), accept_mass_leaves=True)
    db.commit()
    sam_pco = value(db, "SELECT pco_id FROM sync.match_review WHERE id = %s", rid)
    created = value(db, "SELECT id FROM church.people WHERE pco_id = %s", sam_pco)
    assert created and created not in twins  # created as a new local person
    removed = value(db, "SELECT id FROM sync.removed_in_pco WHERE resolved_at IS NULL")
    assert act(server, "editor", "removed", "keep", [removed]).status_code == 200
    counts = push_people(db, client, "run-4", DEFAULT)
    # the dismissed write is not sent; Ann stays local only (the twins, out of review, are sent)
    assert counts["failed"] == 0 and counts["created"] == len(twins)
    assert counts["skipped_reasons"] == {"dismissed by staff": 1, "kept local (removed in PCO)": 1}
    assert value(db, "SELECT first_name, pco_id FROM church.people WHERE id = %s", ann) == (
        "Ann-Marie", None)
    assert value(db, "SELECT gender FROM church.people WHERE id = %s", bad) == "X"
    actions = sorted(h["action"] for h in requests.get(
        f"{server[0]}{PAGE}/api/history", headers=server[1]["viewer"], timeout=30).json())
    assert actions == ["conflict:value", "match:create", "push_failure:dismiss", "removed:keep"]


def test_quarantine_removals_and_push_failures_through_the_api(db, db_url, sim, server):
    base, headers, _ = server
    client = client_for(sim)
    # a push failure: PCO refuses gender "X"
    bad = local_person(db, "Bad", "Gender", email="bad@example.org", gender="X")
    dee = local_person(db, "Dee", "Doe", email="dee@example.org")
    assert push_people(db, client, "run-1", DEFAULT)["failed"] == 1
    failure = value(db, "SELECT id FROM sync.push_failures WHERE resolved_at IS NULL")
    # removed in PCO: Dee deleted there, found gone by a full pull
    dee_pco = value(db, "SELECT pco_id FROM church.people WHERE id = %s", dee)
    sim.store.delete_person(dee_pco)
    # quarantined: a PCO person whose email is not one
    odd = sim.store.insert("people", {"first_name": "Odd", "last_name": "Email",
                                      "status": "active", "child": False})["id"]
    sim.store.insert("emails", {"person_id": odd, "address": "two@@example.org",
                                "location": "Home", "primary": True, "blocked": False})
    sync(sim, db_url, "run-2", ("people",), accept_mass_leaves=True)
    db.commit()
    counts = requests.get(f"{base}{PAGE}/api/counts", headers=headers["viewer"], timeout=30).json()
    assert (counts["push_failures"], counts["removed"], counts["quarantine"]) == (1, 1, 1)
    removed = value(db, "SELECT id FROM sync.removed_in_pco WHERE resolved_at IS NULL")
    quarantined = value(db, "SELECT id FROM sync.quarantine WHERE resolved_at IS NULL")
    items = requests.get(f"{base}{PAGE}/api/items/quarantine", headers=headers["viewer"],
                         timeout=30).json()["items"]
    assert items[0]["check_name"] and items[0]["payload"]["id"] == odd
    docs = requests.get(f"{base}{PAGE}/quality", params={"run_id": "run-2", "stream": "people"},
                        headers=headers["viewer"], timeout=60)
    assert docs.status_code == 200 and "run-2" in docs.text and "two@@example.org" in docs.text
    assert requests.get(f"{base}{PAGE}/quality", params={"run_id": "no-such-run"},
                        headers=headers["viewer"], timeout=60).status_code == 404
    assert requests.get(f"{base}{PAGE}/quality", params={"run_id": "run-2"},
                        timeout=60).status_code == 401
    checked = act(server, "editor", "quarantine", "check", [quarantined])
    assert checked.status_code == 200, checked.text  # still failing: the row stays open
    assert checked.json()["message"] == (
        "Checked again: 1 still fails its check and stays quarantined.")
    assert value(db, "SELECT resolved_at IS NULL FROM sync.quarantine WHERE id = %s", quarantined)
    for kind, action, ids in (("removed", "recreate", [removed]),
                              ("quarantine", "dismiss", [quarantined]),
                              ("push_failures", "retry", [failure])):
        assert act(server, "viewer", kind, action, ids).status_code == 403

    assert act(server, "editor", "removed", "recreate", [removed]).status_code == 200
    assert act(server, "editor", "quarantine", "dismiss", [quarantined]).status_code == 200
    db.execute("UPDATE church.people SET gender = 'F' WHERE id = %s", (bad,))
    db.commit()
    retried = act(server, "editor", "push_failures", "retry", [failure])
    assert retried.status_code == 200, retried.text
    assert "started" in retried.json()["message"] and retried.json()["dag_run_id"]

    # the next run: Dee created again in PCO, the odd email taken as it is, Bad Gender sent
    sync(sim, db_url, "run-3", ("people",))
    db.commit()
    assert push_people(db, client, "run-3", DEFAULT)["created"] == 2
    new_dee = value(db, "SELECT pco_id FROM church.people WHERE id = %s", dee)
    assert new_dee and new_dee != dee_pco and sim.store.get("people", new_dee)["first_name"] == "Dee"
    assert value(db, "SELECT e.address FROM church.emails e JOIN church.people p "
                     "ON p.id = e.person_id WHERE p.pco_id = %s", odd) == "two@@example.org"
    assert value(db, "SELECT pco_id IS NOT NULL FROM church.people WHERE id = %s", bad)
    assert requests.get(f"{base}{PAGE}/api/counts", headers=headers["viewer"],
                        timeout=30).json() | {"conflicts": 0} == dict.fromkeys(counts, 0)
    actions = [h["action"] for h in requests.get(f"{base}{PAGE}/api/history",
                                                 headers=headers["viewer"], timeout=30).json()]
    assert sorted(actions) == ["push_failure:retry", "quarantine:check", "quarantine:dismiss",
                               "removed:recreate"]


def test_policies_and_sync_now(db, server):
    base, headers, _ = server
    bad = requests.put(f"{base}{PAGE}/api/policy", json={"names": "coin_toss"},
                       headers=headers["editor"], timeout=30)
    assert bad.status_code == 400 and "unknown policy 'coin_toss'" in bad.text
    saved = requests.put(f"{base}{PAGE}/api/policy", headers=headers["editor"], timeout=30,
                         json={"names": "pco_wins", "emails": "manual", "addresses": "newest_wins"})
    assert saved.status_code == 200, saved.text
    variable = requests.get(f"{base}/api/v2/variables/pco_sync_conflict_policy",
                            headers=headers["admin"], timeout=30).json()
    assert json.loads(variable["value"]) == {"addresses": "newest_wins", "names": "pco_wins"}
    page = requests.get(base + PAGE + "?kind=conflicts", headers=headers["viewer"], timeout=30)
    assert "<option value='newest_wins' selected>" in page.text

    started = requests.post(f"{base}{PAGE}/api/sync-now", json={}, headers=headers["editor"],
                            timeout=30)
    assert started.status_code == 200, started.text
    run_id = started.json()["dag_run_id"]
    run = requests.get(f"{base}/api/v2/dags/pco_sync/dagRuns/{run_id}", headers=headers["admin"],
                       timeout=30).json()
    assert run["run_type"] == "manual" and run["triggered_by"] == "ui"
    assert run["triggering_user_name"] == "editor"


def test_a_post_from_another_site_with_the_login_cookie_is_refused(db, server):
    """The login cookie goes with any request a browser makes, a forged form of another site
    included: the Origin decides. The same cookie from the page's own origin is accepted."""
    base, headers, _ = server
    token = headers["editor"]["Authorization"].split()[1]
    policy = f"{base}{PAGE}/api/policy"

    def saved():
        got = requests.get(f"{base}/api/v2/variables/pco_sync_conflict_policy",
                           headers=headers["admin"], timeout=30)
        return json.loads(got.json()["value"]) if got.status_code == 200 else None

    before = saved()
    for origin in ({"Origin": "https://evil.example"},
                   {"Referer": "https://evil.example/page"}, {}):
        forged = requests.put(policy, json={"names": "local_wins"}, timeout=30,
                              cookies={"_token": token}, headers=origin)
        assert forged.status_code == 403, (origin, forged.text)
        assert "did not come from this deployment" in forged.text
        started = requests.post(f"{base}{PAGE}/api/sync-now", json={}, timeout=30,
                                cookies={"_token": token}, headers=origin)
        assert started.status_code == 403
    assert saved() == before
    runs = requests.get(f"{base}/api/v2/dags/pco_sync/dagRuns", headers=headers["admin"],
                        timeout=30).json()

    own = requests.put(policy, json={"names": "local_wins"}, timeout=30,
                       cookies={"_token": token}, headers={"Origin": base})
    assert own.status_code == 200, own.text
    assert saved() == {"names": "local_wins"}
    after = requests.get(f"{base}/api/v2/dags/pco_sync/dagRuns", headers=headers["admin"],
                         timeout=30).json()
    assert after["total_entries"] == runs["total_entries"]  # the forged Sync now started none
    restored = requests.put(policy, json=before or {}, headers=headers["editor"], timeout=30)
    assert restored.status_code == 200 and saved() == (before or {})


def test_a_person_settles_a_conflict_and_a_match_in_a_real_browser(db, db_url, sim, server,
                                                                     tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, _, passwords = server
    _, ann, cid, rid, (sam1, sam2) = conflict_and_review(db, db_url, sim)
    shots = []

    def shot(page, name):
        path = tmp_path / f"{len(shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(),
                                    args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{base}/auth/login/")
            page.get_by_label("Username").fill("editor")
            page.get_by_label("Password").fill(passwords["editor"])
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: "/auth/login" not in url)
            # Airflow's menu has the page; it opens inside the UI.
            page.goto(f"{base}/plugin/pco-sync")
            frame = page.frame_locator("iframe")
            expect(frame.get_by_text("Person: Annie Lee")).to_be_visible(timeout=60_000)
            shot(page, "menu-page")
            # In Airflow's dark mode the page inside its frame is dark too.
            page.emulate_media(color_scheme="dark")
            page.reload()
            frame = page.frame_locator("iframe")
            expect(frame.get_by_text("Person: Annie Lee")).to_be_visible(timeout=60_000)
            dark = frame.locator("html").evaluate("e => e.classList.contains('dark')")
            shot(page, "menu-page-dark")
            assert dark, "the page did not follow Airflow's dark mode"
            page.emulate_media(color_scheme="light")
            page.reload()
            frame = page.frame_locator("iframe")
            expect(frame.get_by_text("Person: Annie Lee")).to_be_visible(timeout=60_000)
            # A run link leaves the sandboxed frame for Airflow's own run page.
            refused = []
            page.on("console", lambda m: refused.append(m.text) if any(
                flag in m.text for flag in ("allow-popups", "allow-top-navigation",
                                            "Blocked opening")) else None)
            frame.locator("a[target='_top'][href^='/dags/']").first.click()
            page.wait_for_url(lambda url: "/dags/pco_sync/runs/" in url, timeout=30_000)
            assert "/plugin/" not in page.url

            page.goto(f"{base}{PAGE}?kind=conflicts")
            row = page.locator("tr", has=page.locator(f"input.pick[value='{cid}']"))
            row.get_by_role("button", name="Keep local").click()
            expect(page.locator("#notice")).to_have_text("Keep local: done for 1 item.")
            expect(page.get_by_text("No open conflicts.")).to_be_visible()
            shot(page, "conflict-kept-local")

            page.goto(f"{base}{PAGE}?kind=matches")
            card = page.locator("div.card", has_text=f"Local person {sam2}")
            card.get_by_role("button", name="Link to this person").click()
            expect(page.locator("#notice")).to_have_text("Link to this person: done for 1 item.")
            expect(page.get_by_text("Decided by editor: link")).to_be_visible()
            shot(page, "match-linked")

            # a quarantined record, its Great Expectations results, and a push failure
            odd = sim.store.insert("people", {"first_name": "Odd", "last_name": "Email",
                                              "status": "active", "child": False})["id"]
            sim.store.insert("emails", {"person_id": odd, "address": "two@@example.org",
                                        "location": "Home", "primary": True, "blocked": False})
            sync(sim, db_url, "run-q", ("people",))
            local_person(db, "Bad", "Gender", email="bad@example.org", gender="X")
            push_people(db, client_for(sim), "run-q", DEFAULT)
            page.goto(f"{base}{PAGE}?kind=quarantine")
            expect(page.get_by_text("two@@example.org").first).to_be_attached()
            shot(page, "quarantine")
            # In Airflow's frame, as a person meets it: the results open in a tab of their own.
            page.goto(f"{base}/plugin/pco-sync")
            frame = page.frame_locator("iframe")
            frame.get_by_role("link", name=re.compile("Quarantined records")).click()
            with page.context.expect_page() as docs:
                frame.get_by_role("link", name="Great Expectations results").first.click()
            docs.value.wait_for_load_state()
            expect(docs.value.get_by_text("run-q").first).to_be_visible()
            shot(docs.value, "great-expectations-results")
            page.goto(f"{base}{PAGE}?kind=push_failures")
            expect(page.get_by_text("Gender must be one of").first).to_be_visible()
            shot(page, "push-failures")
            assert not refused, refused  # no link the browser refused to follow
        finally:
            browser.close()
    out = SHOTS
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for path in shots:
        shutil.copy(path, out / path.name)
    assert value(db, "SELECT resolution, resolved_by FROM sync.conflicts WHERE id = %s",
                 cid) == ("local", "editor")
    assert value(db, "SELECT decision, decided_person_id FROM sync.match_review WHERE id = %s",
                 rid) == ("link", sam2)


# ---- every page as a person meets it in Airflow's UI: screenshots, console, origins, width ----

VIEWPORT = {"width": 1440, "height": 900}  # the README's screenshots: always this size
README_SHOTS = {"sync-summary": ROOT / "docs" / "images" / "sync-summary.png",
                "pco-sync-page": ROOT / "docs" / "images" / "pco-sync-page.png"}
PAGE_SHOTS = ROOT / ".local" / "test-output" / "pages"
FINISHED = "manual__2026-12-06T09:02:11+00:00"  # a run that did everything, summary and all
RUNNING = "manual__2026-12-06T09:15:00+00:00"  # a run whose extracts are reading PCO
# Console errors of Airflow's own UI, not of our pages, to let through: each narrow, with
# its reason. Airflow 3.3's UI logs none on these pages, so there is none.
AIRFLOW_CONSOLE_NOISE: tuple[re.Pattern, ...] = ()


def trigger(server, run_id):
    base, headers, _ = server
    made = requests.post(f"{base}/api/v2/dags/pco_sync/dagRuns", headers=headers["admin"],
                         json={"dag_run_id": run_id, "logical_date": None}, timeout=30)
    assert made.status_code == 200, made.text


def push_xcom(server, run_id, task_id, key, value_):
    """An XCom as the task would have pushed it (no scheduler runs in this test)."""
    base, headers, _ = server
    made = requests.post(f"{base}/api/v2/dags/pco_sync/dagRuns/{quote(run_id, safe='')}/"
                         f"taskInstances/{task_id}/xcomEntries", headers=headers["admin"],
                         json={"key": key, "value": value_}, timeout=30)
    assert made.status_code == 201, made.text


def a_finished_run(db, db_url, sim, server) -> None:
    """Run FINISHED as the DAG would have left it: one of each thing the PCO Sync page lists,
    found by it (a conflict on Ann Lee, a match review of Sam Roe, a quarantined email, a
    person removed in PCO, a change PCO refused), and its summary XComs."""
    from pco_sync import church_db, summary
    from pco_sync.quality.gates import gate
    from pco_sync.quality.validate import validate_resource
    from pipeline import extract, merge_resource

    with church_db.connect(db_url) as conn:  # every migration the code has now (the page
        church_db.apply_migrations(conn)     # waits for the next run when one is missing)
    trigger(server, FINISHED)
    dee = local_person(db, "Dee", "Doe", email="dee@example.org")
    client, _, _ = ann_renamed_on_both_sides(db, sim)  # pushes Ann and Dee to PCO
    sim.store.delete_person(value(db, "SELECT pco_id FROM church.people WHERE id = %s", dee))
    for i in (1, 2):  # local only: two candidates for PCO's Sam Roe
        local_person(db, "Sam", "Roe", email=f"sam{i}@example.org", birthdate="1990-05-05")
    sim.store.insert("people", {"first_name": "Sam", "last_name": "Roe",
                                "birthdate": "1990-05-05", "status": "active", "child": False})
    odd_email_person(sim)
    # the run's people: read, checked, merged (the other resources are not needed here)
    extract(client, db_url, "people", FINISHED, full_refresh=True)
    with church_db.connect(db_url) as conn:
        checked = {"people": validate_resource(conn, "people", FINISHED)}
        gate(conn, FINISHED, full_refresh=True, accept_mass_leaves=True)
    counts = summary.summarize(checked, {"people": merge_resource(db_url, "people", FINISHED)})
    db.commit()
    local_person(db, "Bad", "Gender", email="bad@example.org", gender="X")  # PCO refuses X
    pushed = push_people(db, client, FINISHED, DEFAULT)
    counts[summary.PUSH_ROW.format("people")] = {
        k: v for k, v in pushed.items() if isinstance(v, int) and not isinstance(v, bool)}
    for key, value_ in ((summary.XCOM_KEY, counts),
                        (summary.OPEN_ITEMS_KEY, summary.open_items(db, FINISHED)),
                        (summary.READ_KEY, {"people": "whole"})):
        push_xcom(server, FINISHED, "summarize", key, value_)
    base, headers, _ = server
    done = requests.patch(f"{base}/api/v2/dags/pco_sync/dagRuns/{quote(FINISHED, safe='')}",
                          json={"state": "success"}, headers=headers["admin"], timeout=30)
    assert done.status_code == 200, done.text


def a_running_run(server, home) -> None:
    """Run RUNNING caught mid-read: extract.people has reported how far it is (the XCom
    pco_sync.progress pushes), extract.households reported nothing yet; set in the metadata
    database as the scheduler and the running tasks would (no scheduler here)."""
    import sqlite3
    from datetime import datetime, timedelta, timezone

    from pco_sync import summary

    trigger(server, RUNNING)
    now = datetime.now(timezone.utc)
    push_xcom(server, RUNNING, "extract.people", summary.PROGRESS_KEY, {
        "step": "people", "stream": "people", "pages": 24, "done": 2400, "total": 8000,
        "unit": "records staged", "started": (now - timedelta(seconds=14)).isoformat(),
        "updated": now.isoformat(), "left": 32.0, "final": False})
    with sqlite3.connect(home / "airflow.db") as meta:
        stamp = (now - timedelta(seconds=15)).strftime("%Y-%m-%d %H:%M:%S.%f")
        meta.execute("UPDATE dag_run SET state = 'running', start_date = ? WHERE run_id = ?",
                     (stamp, RUNNING))
        for task in ("extract.people", "extract.households"):
            changed = meta.execute("UPDATE task_instance SET state = 'running', start_date = ? "
                                   "WHERE run_id = ? AND task_id = ?", (stamp, RUNNING, task))
            assert changed.rowcount == 1, task


def plugin_frame(page, text):
    """The plugin's frame in Airflow's UI once it shows `text`."""
    from playwright.sync_api import expect

    expect(page.frame_locator("iframe").get_by_text(text).first).to_be_visible(timeout=60_000)
    return next(f for f in page.frames if "/pco-sync/" in f.url)


WIDTH = """() => {
  const doc = document.scrollingElement;
  const wide = [];
  if (doc.scrollWidth > doc.clientWidth)
    wide.push(`the page: ${doc.scrollWidth} px in ${doc.clientWidth}`);
  for (const e of document.querySelectorAll('.scroll, table'))  /* a table scrolling in its box */
    if (e.scrollWidth > e.clientWidth + 1)
      wide.push(`${e.tagName.toLowerCase()}.${e.className}: ${e.scrollWidth} px in ${e.clientWidth}`);
  return wide;
}"""


def test_every_page_in_airflows_frame_looks_right_loads_only_its_own_origin(
        db, db_url, sim, server, pages_home, tmp_path):
    """Logged in, as a person opens them in Airflow's UI (its menu entry, a run's tab) at
    1440x900 on the test's own port: the Sync summary of a finished run and of a running one,
    every tab of the PCO Sync page and its decision history, light and dark. No console error,
    no request to another origin, nothing wider than the frame; the screenshots are saved
    (PAGE_SHOTS) and two of them are the README's (README_SHOTS)."""
    from urllib.parse import urlsplit

    from playwright.sync_api import expect, sync_playwright

    from pco_sync.review.queries import KINDS

    base, _, passwords = server
    own = "{0.scheme}://{0.netloc}".format(urlsplit(base))
    a_finished_run(db, db_url, sim, server)
    a_running_run(server, pages_home)
    problems, shots = [], {}

    def watch(page):
        def console(message):
            if message.type == "error" and not any(p.search(message.text)
                                                   for p in AIRFLOW_CONSOLE_NOISE):
                problems.append(f"console error on {page.url}: {message.text}")

        def request(req):
            parts = urlsplit(req.url)
            if parts.scheme in ("http", "https", "ws", "wss") and \
                    f"{parts.scheme.replace('ws', 'http')}://{parts.netloc}" != own:
                problems.append(f"request to another origin from {page.url}: {req.url}")

        page.on("console", console)
        page.on("pageerror", lambda error: problems.append(f"script error on {page.url}: {error}"))
        page.on("request", request)
        # ERR_ABORTED: a request the browser dropped because the page moved on (the UI's
        # polling as the test opens the next page, a running run's tab reloading itself)
        page.on("requestfailed", lambda req: problems.append(
            f"request failed: {req.url} ({req.failure})")
            if "ERR_ABORTED" not in (req.failure or "") else None)

    def look(page, name, text):
        try:
            frame = plugin_frame(page, text)
        except AssertionError:  # what the page showed instead
            PAGE_SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(PAGE_SHOTS / f"failed-{name}.png"))
            raise
        for _ in range(3):  # a running run's tab reloads itself every few seconds
            try:
                wide = frame.evaluate(WIDTH)
                break
            except Exception:  # its document went away while being measured
                frame = plugin_frame(page, text)
        if wide:
            problems.append(f"{name} is wider than its frame at 1440 px: {wide}")
        path = tmp_path / f"{len(shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path))
        shots[name] = path
        return frame

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(),
                                    args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport=VIEWPORT)
            watch(page)
            page.goto(f"{base}/auth/login/")
            page.get_by_label("Username").fill("editor")
            page.get_by_label("Password").fill(passwords["editor"])
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: "/auth/login" not in url)
            for scheme in ("dark", "light"):  # light last: its buttons settle items
                page.emulate_media(color_scheme=scheme)
                suffix = "" if scheme == "light" else "-dark"
                for run_id, name, text in ((FINISHED, "sync-summary", "pulled from PCO"),
                                           (RUNNING, "sync-summary-running", "In progress")):
                    # the run's tab (the plugin's external view "pco-sync-summary")
                    page.goto(f"{base}/dags/pco_sync/runs/{quote(run_id, safe='')}"
                              "/plugin/pco-sync-summary")
                    look(page, name + suffix, text)
                page.goto(f"{base}/plugin/pco-sync")  # the menu's entry
                frame = look(page, "pco-sync-page" + suffix, "Person: Annie Lee")
                if scheme == "dark":
                    assert frame.evaluate("() => document.documentElement.classList.contains('dark')")
                    continue
                for key, label, _ in KINDS:
                    page.frame_locator("iframe").locator(f"nav.tabs a[href$='kind={key}']").click()
                    expect(page.frame_locator("iframe").locator(
                        f"nav.tabs a.on[href$='kind={key}']")).to_be_visible()
                    look(page, f"pco-sync-{key}", label)
                # a button inside the frame: its POST comes from the deployment's own origin
                ui = page.frame_locator("iframe")
                ui.locator("nav.tabs a[href$='kind=conflicts']").click()
                ui.locator("tr", has=ui.locator("input.pick")).get_by_role(
                    "button", name="Keep local").click()
                expect(ui.locator("#notice")).to_have_text("Keep local: done for 1 item.")
                ui.get_by_role("link", name="Decision history").click()
                look(page, "pco-sync-history", "decisions on")
            # the watch itself: an error on a page of ours is caught
            plugin_frame(page, "Keep local").evaluate("() => console.error('watch check')")
            page.wait_for_timeout(500)
            assert any("watch check" in p for p in problems), problems
            problems[:] = [p for p in problems if "watch check" not in p]
        finally:
            browser.close()
    shutil.rmtree(PAGE_SHOTS, ignore_errors=True)
    PAGE_SHOTS.mkdir(parents=True)
    for path in shots.values():
        shutil.copy(path, PAGE_SHOTS / path.name)
    assert not problems, "\n".join(problems)
    if os.environ.get("PCO_SYNC_SCREENSHOTS") == "1":  # make screenshots
        for name, target in README_SHOTS.items():  # only from a run that found nothing wrong
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(shots[name], target)
