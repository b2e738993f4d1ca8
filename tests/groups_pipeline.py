"""The DAG's task bodies in DAG order, without Airflow (tests of groups, calendar and teams):
extract the resources from the simulator, validate, merge, summarize, as one run would."""
from __future__ import annotations

from pco_sync import tasks
from pco_sync.client import PcoClient

MERGES = ("groups", "teams", "events")


def client_for(sim, **kw) -> PcoClient:
    kw.setdefault("backoff_base", 0.01)
    kw.setdefault("max_retries", 2)
    return PcoClient(sim.url, *sim.auth, **kw)


def sync(sim, db_url: str, run_id: str, resources=("people", "groups"), *, full_refresh=True,
         window=(None, None), accept_mass_leaves=False, client=None) -> dict:
    """One run over `resources`: the summary (tasks.summarize), plus "extracted": what each
    extract task returned. A quality gate failure raises, as the validate task would."""
    client = client or client_for(sim)
    start, end = window
    extracted = {r: tasks.extract_stream(client, db_url, r, run_id, window_start=start,
                                         window_end=end, full_refresh=full_refresh)
                 for r in resources}
    checked = tasks.validate(db_url, run_id, list(resources), full_refresh=full_refresh,
                             accept_mass_leaves=accept_mass_leaves)
    by_task = {"merge_people": tasks.merge(db_url, run_id, "people"),
               "merge_families": tasks.merge(db_url, run_id, "families")}
    by_task.update({f"merge_{r}": tasks.merge_resource(db_url, run_id, r) for r in MERGES})
    summary = tasks.summarize(checked, {row: by_task.get(task)
                                        for row, task in tasks.SUMMARY_ROWS.items()})
    return {**summary, "extracted": extracted}
