"""Shared fixtures: the repo on sys.path, the recordings, a PCO simulator over real HTTP."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "plugins"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from pco_simulator import SimConfig, Simulator  # noqa: E402

SAMPLES = ROOT.parent / "shared" / "pco-samples"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    if not SAMPLES.is_dir():
        pytest.fail(f"the PCO recordings are expected beside the repo at {SAMPLES}")
    return SAMPLES


@pytest.fixture(scope="session")
def seeded_sim():
    """One generated church shared by read-only tests (do not write to it)."""
    with Simulator(SimConfig(rate_limit=100_000), people=400, seed=11) as sim:
        yield sim


@pytest.fixture
def sim():
    """A fresh, empty simulator per test, generous limits; tests seed what they need."""
    with Simulator(SimConfig(rate_limit=100_000)) as s:
        yield s


@pytest.fixture
def pco(sim):
    """A requests session authenticated against the per-test simulator."""
    s = requests.Session()
    s.auth = sim.auth
    s.base = sim.url
    yield s
    s.close()
