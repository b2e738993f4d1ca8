"""Fixes from newer Airflow releases that pco-sync's users need now, applied by the plugin
in the API server. Each names the upstream change and stops applying once Airflow has it.

Test button (apache/airflow#73298, merged after 3.3.2): the UI posts `port: 0` for a
connection without a port (`Number(null)`), the API compares it with the stored NULL, calls
it "a different destination" and refuses the test with 400 before the hook ever runs. The
Planning Center connection hides its port, so its Test button always failed. The fix treats
0 like blank in that comparison, exactly as upstream does.
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)

FIXED_IN = (3, 3, 3)


def _version() -> tuple[int, ...]:
    from airflow import __version__

    return tuple(int(p) for p in __version__.split("+")[0].split(".")[:3] if p.isdigit())


def _same_endpoint(requested, stored) -> bool:
    """apache/airflow#73298's comparison: blank and 0 both mean "no host/port"."""
    def norm(value):
        return None if value is None or value == "" or value == 0 else value

    return norm(requested) == norm(stored)


def apply() -> list[str]:
    """Apply the backports this Airflow lacks; the names applied (for the log and tests)."""
    applied = []
    if _version() < FIXED_IN:
        from airflow.api_fastapi.core_api.routes.public import connections

        if hasattr(connections, "_same_endpoint"):
            connections._same_endpoint = _same_endpoint
            applied.append("apache/airflow#73298 (Test button on connections without a port)")
    for name in applied:
        log.info("pco_sync: applied %s", name)
    return applied
