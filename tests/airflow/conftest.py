"""The plugin pages' API server, shared by the modules that drive those pages (test_connect,
test_review_ui): one Airflow API server per test session, not one per module (each start
migrates a metadata database and reserializes the DAGs)."""
from __future__ import annotations

import pytest

from pco_simulator import SimConfig, Simulator
from servers import api_server
from test_dag_e2e import AIRFLOW_HOME as E2E_HOME

PAGES_HOME = E2E_HOME.parent / (E2E_HOME.name + "-pages")


@pytest.fixture(scope="session")
def grace():
    """The church's organization in PCO (Grace Community Church, 263468): the simulator the
    pages' server has as pco_default and as the OAuth application; one person, who approves
    a connection."""
    with Simulator(SimConfig(rate_limit=100_000)) as sim:
        sim.store.insert("people", {"first_name": "Pat", "last_name": "Admin",
                                    "status": "active", "child": False})
        yield sim


@pytest.fixture(scope="session")
def pages_server(db_url, grace):
    """(base URL, {user: bearer headers}, {user: password}, its log's path) of the API server
    whose church_db is the test database and whose pco_default and pco_oauth_app (stored in
    its metadata DB, as make airflow stores them) point at `grace`. Tests that change its
    connections put them back."""
    with api_server(PAGES_HOME, db_url, grace.port, "pages-test.log") as found:
        yield found


@pytest.fixture(scope="session")
def pages_home(pages_server):
    """The pages' server's Airflow home (its airflow.cfg and metadata DB)."""
    return PAGES_HOME
