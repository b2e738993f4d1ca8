"""The simulator's data generator: 100,000 people in under a minute (issue 2)."""
from __future__ import annotations

import time

from pco_simulator.generator import generate
from pco_simulator.store import Store


def run() -> dict[str, dict]:
    store = Store()
    started = time.perf_counter()
    generate(store, 100_000, seed=1)
    took = time.perf_counter() - started
    return {"simulator.generate_100k_people_seconds": {
        "value": round(took, 3), "bound": 60.0, "target": 1.0, "unit": "s"}}
