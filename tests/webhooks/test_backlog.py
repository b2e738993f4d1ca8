"""A delivery backlog, as the PCO Sync page shows it: only once one builds up (deliveries
that failed, or waited longer than limits.WEBHOOK_BACKLOG_SECONDS)."""
from __future__ import annotations

from pco_sync.airflow import review_page
from pco_sync.webhooks import inbox
from webhook_helpers import PERSON_UPDATED, body, person_record


def store(db, n: int) -> None:
    inbox.store(db, [d for i in range(n)
                     for d in inbox.parse(body(PERSON_UPDATED, person_record(str(100 + i))))])


def page(backlog) -> str:
    return review_page.render("/pco-sync/review/pco_sync", "pco_sync", {}, "conflicts", [], {},
                              backlog=backlog)


def test_fresh_deliveries_are_no_backlog(db):
    store(db, 3)
    backlog = inbox.backlog(db)
    assert backlog["waiting"] == 3 and backlog["oldest_seconds"] < 60
    assert not inbox.building_up(backlog)
    assert "webhook" not in page(None)


def test_old_or_failed_deliveries_are_a_backlog_the_page_shows(db):
    store(db, 2)
    db.execute("UPDATE sync.webhook_deliveries SET received_at = now() - interval '10 minutes'")
    db.commit()
    backlog = inbox.backlog(db)
    assert inbox.building_up(backlog)
    assert "2 PCO webhook deliveries wait to be merged" in page(backlog)

    db.execute("UPDATE sync.webhook_deliveries SET received_at = now()")
    db.commit()
    assert not inbox.building_up(inbox.backlog(db))
    inbox.failed(db, [1], "PcoError: GET /people/v2/people/100: HTTP 503 <oops>")
    backlog = inbox.backlog(db)
    assert inbox.building_up(backlog) and backlog["failing"] == 1
    shown = page(backlog)
    assert "1 of them failed before" in shown and "HTTP 503 &lt;oops&gt;" in shown
