"""One sync run without Airflow, as the DAG's tasks run it: each resource extracted as the
registry says, validated and gated, merged in registry order, summarized. Tests of the steps
use it to get a church database into a known state through the real code."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pco_simulator.schema import RESOURCES

from pco_sync import church_db, summary
from pco_sync.extract import run as extracts
from pco_sync.merge.run import merge
from pco_sync.pco import resources as registry
from pco_sync.pco.client import PcoClient
from pco_sync.quality.gates import gate
from pco_sync.quality.validate import validate_resource


def client_for(sim, **kw) -> PcoClient:
    kw.setdefault("backoff_base", 0.01)
    return PcoClient(sim.url, *sim.auth, **kw)


BASE = datetime(2024, 1, 1, tzinfo=timezone.utc)


def seed_people(sim, n: int) -> list[str]:
    """n people, person i updated at BASE + i minutes, each with one email and one phone."""
    blank = {a: None for a in RESOURCES["people"].attributes}
    people, emails, phones = [], [], []
    for i in range(n):
        at = (BASE + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        pid = str(10_000_001 + i)
        people.append({**blank, "id": pid, "first_name": f"P{i}", "last_name": "Test",
                       "status": "active", "child": False, "created_at": at, "updated_at": at})
        emails.append({"id": str(20_000_001 + i), "person_id": pid, "address": f"p{i}@x.org",
                       "location": "Home", "primary": True, "blocked": False,
                       "created_at": at, "updated_at": at})
        phones.append({"id": str(30_000_001 + i), "person_id": pid, "number": f"614555{i:04d}",
                       "location": "Mobile", "primary": True, "created_at": at,
                       "updated_at": at})
    sim.store.bulk_insert("people", people)
    sim.store.bulk_insert("emails", emails)
    sim.store.bulk_insert("phone_numbers", phones)
    return [p["id"] for p in people]


def extract(client, db_url: str, resource: str, run_id: str, *, window=(None, None),
            full_refresh: bool = False, manual: bool = True) -> dict | None:
    """The extract task of `resource` (None: not due). manual: as a run triggered by hand,
    which reads resources that are only read whole."""
    with church_db.connect(db_url) as conn:
        read = extracts.plan(conn, resource, *window, full_refresh=full_refresh, manual=manual)
        if read is None:
            return None
        return extracts.extract_resource(client, conn, resource, run_id, read)


def merge_resource(db_url: str, resource: str, run_id: str) -> dict:
    """The merge task of `resource`: {summary row: counts}."""
    with church_db.connect(db_url) as conn:
        return merge(conn, resource, run_id)


def sync(sim, db_url: str, run_id: str, resources=("people", "groups"), *,
         full_refresh=True, window=(None, None), accept_mass_leaves=False, client=None,
         manual=True) -> dict:
    """One run over `resources` (every merge runs, as in the DAG): the summary, plus
    "extracted": what each extract returned (None: not due). manual=False: a scheduled run.
    A quality gate failure raises, as the validate task would."""
    client = client or client_for(sim, max_retries=2)
    extracted = {r: extract(client, db_url, r, run_id, window=window, full_refresh=full_refresh,
                            manual=manual)
                 for r in resources}
    checked = {}
    with church_db.connect(db_url) as conn:
        for r in resources:
            checked[r] = validate_resource(conn, r, run_id)
        gate(conn, run_id, full_refresh=full_refresh, accept_mass_leaves=accept_mass_leaves)
    merged = {r: merge_resource(db_url, r, run_id) for r in registry.RESOURCES}
    return {**summary.summarize(checked, merged), "extracted": extracted}


def merge_people(conn, run_id: str) -> dict:
    """The people merge's counts, on an open connection."""
    return merge(conn, "people", run_id)["people"]


def merge_families(conn, run_id: str) -> dict:
    """The households merge's counts (the families row), on an open connection."""
    return merge(conn, "households", run_id)["families"]


def merge_with_policy(db_url: str, resource: str, run_id: str, policy: dict | None) -> dict:
    """The merge task of `resource` under conflict policies (the Variable
    pco_sync_conflict_policy): {summary row: counts}."""
    with church_db.connect(db_url) as conn:
        return merge(conn, resource, run_id, policy)
