""""open in PCO" leads where the record is: PCO's web app for a church connected to PCO, the
simulator's view of the record for a deployment talking to the simulator (PCO's web app
has never heard of a simulated id)."""
from __future__ import annotations

from pco_sync.airflow import review_page
from pco_sync.review.links import web_url


def test_a_record_opens_in_pco_or_in_the_simulator():
    assert web_url("person", "123") == ("https://people.planningcenteronline.com/people/AC123",
                                        "PCO")
    assert web_url("people", "123", "https://api.planningcenteronline.com") == (
        "https://people.planningcenteronline.com/people/AC123", "PCO")
    assert web_url("family", "9", "http://127.0.0.1:8765/") == (
        "http://127.0.0.1:8765/__admin/records/households/9", "the simulator")
    assert web_url("person", None, "http://127.0.0.1:8765") == (None, "PCO")


def test_the_page_links_the_simulators_record_when_pco_is_the_simulator():
    item = {"id": 1, "run_id": "run-1", "stream": "people", "pco_id": "77", "check_name": "c",
            "detail": "d", "payload": {}, "contact_kind": None, "contact_pco_id": None,
            "first_run_id": "run-1", "created_at": None}
    page = review_page.render("/pco-sync/review/pco_sync", "pco_sync", {"quarantine": 1},
                              "quarantine", [item], {}, pco_api="http://127.0.0.1:8765")
    assert ("href='http://127.0.0.1:8765/__admin/records/people/77'>open in the simulator</a>"
            in page)
    assert "planningcenteronline.com" not in page
