"""Airflow plugin: a "PCO Sync" page in the navigation (what needs a person, and the buttons
that settle it: pco_sync.airflow.review_api), a "Sync summary" tab on every pco_sync DAG run,
and, in the API server, the upstream fixes of pco_sync.airflow.backports; in the scheduler,
the task modules loaded before its workers fork (pco_sync.airflow.preload).

A small FastAPI app mounted in the API server at /pco-sync serves the page; an external
view with destination "dag_run" makes the UI show it as a tab of each run ({DAG_ID} and
{RUN_ID} are filled in by the UI). The page is behind Airflow's own auth: the same access
check as reading the DAG's XComs.
"""
from __future__ import annotations

from urllib.parse import urlencode

from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse

from pco_sync.airflow import backports, preload

URL_PREFIX = "/pco-sync"
NAV_ROUTE = "pco-sync"  # the UI shows the page at /plugin/<this>, inside its own frame


def _app() -> FastAPI:
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.core_api.security import requires_access_dag

    app = FastAPI(title="pco-sync", description="pco_sync run summaries and review")

    @app.get("/runs/{dag_id}/{run_id:path}", response_class=HTMLResponse,
             dependencies=[Depends(requires_access_dag("GET", DagAccessEntity.XCOM))])
    def run_page(dag_id: str, run_id: str) -> HTMLResponse:
        from pco_sync.airflow import summary_page

        run = summary_page.load(dag_id, run_id)
        quality = f"{review_url(dag_id)}/quality?{urlencode({'run_id': run_id})}"
        return HTMLResponse(summary_page.render(dag_id, run_id, run, f"/plugin/{NAV_ROUTE}",
                                                quality),
                            status_code=200 if run else 404)

    from pco_sync.airflow import connect_api, review_api, webhooks_api

    app.include_router(review_api.router(URL_PREFIX))
    app.include_router(connect_api.router(URL_PREFIX))  # Connect with Planning Center
    app.include_router(webhooks_api.router())  # PCO's deliveries: signed, not logged in
    return app


def review_url(dag_id: str) -> str:
    return f"{URL_PREFIX}/review/{dag_id}"


# Upstream fixes this Airflow lacks, applied where the plugin loads (the API server among them).
BACKPORTS = backports.apply()


class PcoSyncPlugin(AirflowPlugin):
    name = "pco_sync"
    listeners = [preload]  # the scheduler loads the task modules before its workers fork
    fastapi_apps = [{"app": _app(), "url_prefix": URL_PREFIX, "name": "pco-sync run summaries"}]
    external_views = [{
        "name": "PCO Sync",
        "href": URL_PREFIX + "/review",
        "destination": "nav",
        "url_route": NAV_ROUTE,
    }, {
        "name": "Sync summary",
        "href": URL_PREFIX + "/runs/{DAG_ID}/{RUN_ID}",
        "destination": "dag_run",
        "url_route": "pco-sync-summary",
    }]
