"""Several churches (churches.yaml): each gets its own webhooks DAGs, asset, pool and
Variables, and its own receiver path; `default` is no church then."""
from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pco_sync.airflow import webhooks_api
from webhook_helpers import PERSON_UPDATED, body, headers, person_record

DAGS = Path(__file__).resolve().parents[2] / "dags"
CHURCHES = """
churches:
  - slug: grace
    name: Grace Church
  - slug: hope
    resources: [people]
"""


@pytest.fixture
def churches_file(tmp_path, monkeypatch):
    path = tmp_path / "churches.yaml"
    path.write_text(CHURCHES)
    monkeypatch.setenv("PCO_SYNC_CHURCHES_FILE", str(path))
    return path


def test_each_church_has_its_own_webhooks_dags(churches_file):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS / "pco_sync_webhooks.py"))
    assert bag.import_errors == {}
    assert set(bag.dags) == {"pco_sync_webhooks__grace", "pco_sync_webhooks__hope",
                             "pco_sync_webhook_subscriptions__grace",
                             "pco_sync_webhook_subscriptions__hope"}
    grace = bag.dags["pco_sync_webhooks__grace"]
    assert grace.get_task("drain").pool == "pco_api__grace"
    assert list(grace.get_task("drain").op_args) == ["grace"]  # the task finds its church
    assert "pco_sync_webhooks__grace" in str(grace.timetable)
    assert "/pco-sync/webhooks/grace" in grace.doc_md
    assert "pco_sync_webhook_secrets__grace" in grace.doc_md
    assert "church:grace" in grace.tags
    subs = bag.dags["pco_sync_webhook_subscriptions__hope"]
    assert subs.get_task("subscribe").pool == "pco_api__hope"


def test_a_task_process_builds_only_its_own_dag(churches_file, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    for dag_id in ("pco_sync_webhooks__hope", "pco_sync_webhook_subscriptions__grace"):
        monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", dag_id)  # as the task runner
        bag = DagBag(dag_folder=str(DAGS / "pco_sync_webhooks.py"))
        assert bag.import_errors == {} and set(bag.dags) == {dag_id}


def test_the_receiver_serves_the_churches_of_the_file(churches_file, db, db_url, monkeypatch):
    from pco_sync import church_db

    seen = []
    monkeypatch.setattr(webhooks_api, "_secrets", lambda church: (
        seen.append((church.slug, church.church_db_conn_id)) or {PERSON_UPDATED: "g" * 64}))
    monkeypatch.setattr(webhooks_api, "_church_db", lambda church: church_db.connect(db_url))
    monkeypatch.setattr(webhooks_api, "_wake", lambda church: None)
    api = FastAPI()
    api.include_router(webhooks_api.router(), prefix="/pco-sync")
    raw = body(PERSON_UPDATED, person_record("101"))
    with TestClient(api) as client:
        assert client.post("/pco-sync/webhooks/grace", content=raw,
                           headers=headers(raw, "g" * 64)).status_code == 200
        assert client.post("/pco-sync/webhooks/default", content=raw,
                           headers=headers(raw, "g" * 64)).status_code == 404
    assert seen == [("grace", "church_db_grace")]
