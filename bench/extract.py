"""A full extract of a 100,000-person church (people, then households, one client as in a
DAG run) from the simulator, at PCO's default rate limit (100 requests per 20 s window).

Figures (issue 3):
- requests made per stream against the ideal ceil(records / 100) (target <= 1.05);
- wall time against the rate-limit bound requests x period / limit (target <= 1.15), and no
  failed request (any answer but 2xx, or no answer, counts as failed);
- peak memory of the extract (target < 400 MB): the peak resident set of a process that
  does nothing but the extract (interpreter and imports included), read as VmHWM from
  /proc/self/status (ru_maxrss would also count the parent's memory at fork); the
  simulator runs in another process, as PCO would.

The simulator runs with a time scale so its 20 s window lasts a few seconds. The scale is
chosen from a short calibration so that a window's 100 requests take at most 2/3 of it:
then the limit, not this machine's speed, is what the wall time measures.
"""
from __future__ import annotations

import json
import math
import resource
import sys
import time

from bench import church

PERIOD, LIMIT = 20.0, 100  # the simulator's (and PCO's) defaults
HEADROOM = 1.5  # a window's requests take at most 1/HEADROOM of it
MIN_SCALE = 0.25


def run() -> dict[str, dict]:
    db_url = church.database(fresh=True)
    run_id = church.run_id()
    print(f"extract: simulator with {church.PEOPLE:,} people (seed {church.SEED}) ...",
          flush=True)
    with church.simulator(church.PEOPLE) as sim:
        per_request = calibrate(sim.url)
        scale = time_scale(per_request)
        sim.configure(time_scale=scale)
        period = PERIOD * scale
        print(f"extract: {per_request * 1000:.0f} ms of work per request, so time scale "
              f"{scale} (a {LIMIT}-request window lasts {period:.1f} s)", flush=True)
        got = church.extract_in_child(sim.url, db_url, run_id)
    for stream, s in got["streams"].items():
        print(f"extract: {stream}: {s['records']:,} records, {s['requests']:,} requests, "
              f"{s['seconds']:.1f} s", flush=True)
    failed = got["requests"] - sum(n for status, n in got["by_status"].items()
                                   if 200 <= int(status) < 300)
    print(f"extract: {got['requests']:,} requests, {got['throttled']} answered 429, "
          f"{got['retries']} retried, {failed} failed; {got['paced_seconds']:.1f} s waiting "
          f"for windows to close; peak RSS {got['peak_rss_mb']:.1f} MB", flush=True)
    figures = {}
    for stream, s in got["streams"].items():
        figures[f"extract.{stream}_requests"] = {
            "value": s["requests"], "bound": math.ceil(s["records"] / 100), "target": 1.05,
            "unit": "req"}
    figures["extract.wall_seconds"] = {
        "value": round(got["seconds"], 2), "bound": round(got["requests"] * period / LIMIT, 2),
        "target": 1.15, "unit": "s"}
    figures["extract.failed_requests"] = {
        "value": failed, "bound": got["requests"], "target": 0, "unit": "req"}
    figures["extract.peak_memory_mb"] = {
        "value": round(got["peak_rss_mb"], 1), "bound": 400, "target": 1.0, "unit": "MB"}
    return figures


def calibrate(sim_url: str, pages: int = 6) -> float:
    """Seconds of work per request, unthrottled: fetch, parse and shape a few pages of each
    stream as the extract does (well within one window's limit), plus a quarter for the
    COPY into staging this leaves out. Each stream's first page is not counted: the
    simulator sorts the whole list for it once."""
    from pco_sync.extract.staging import staging_row
    from pco_sync.pco import resources
    from pco_sync.pco.client import PcoClient

    client = PcoClient(sim_url, church.APP_ID, church.SECRET)
    took, counted = 0.0, 0
    for name in ("people", "households"):
        spec = resources.stream(name)
        pages_of = client.pages(spec.path, spec.params())
        for n in range(pages + 1):
            started = time.perf_counter()
            doc = next(pages_of)
            included = {(r["type"], r["id"]): r for r in doc.get("included") or []}
            for i, rec in enumerate(doc.get("data") or []):
                staging_row(i, rec, included, spec.include)
            if n:
                took, counted = took + time.perf_counter() - started, counted + 1
        pages_of.close()
    return took / counted * 1.25


def time_scale(per_request: float) -> float:
    """The simulator time scale that leaves HEADROOM, rounded up to 0.05, between MIN_SCALE
    and 1 (real time)."""
    wanted = LIMIT * per_request * HEADROOM / PERIOD
    return round(min(1.0, max(MIN_SCALE, math.ceil(wanted * 20) / 20)), 2)


def peak_rss_mb() -> float:
    """This process's own peak resident set (VmHWM); ru_maxrss where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(sim_url: str, db_url: str, run_id: str) -> dict:
    """The measured process: both streams with one client, as the DAG's extract tasks."""
    from pco_sync import church_db as pco_db
    from pco_sync.extract.staging import extract
    from pco_sync.pco.client import PcoClient

    client = PcoClient(sim_url, church.APP_ID, church.SECRET)
    out: dict = {"streams": {}}
    started = time.perf_counter()
    with pco_db.connect(db_url) as conn:
        for stream in ("people", "households"):
            t = time.perf_counter()
            result = extract(client, conn, stream, run_id)
            conn.commit()
            out["streams"][stream] = {"records": result["records"],
                                      "requests": result["requests"],
                                      "seconds": time.perf_counter() - t}
    out["seconds"] = time.perf_counter() - started
    s = client.stats
    out.update(requests=s.requests, retries=s.retries, throttled=s.throttled,
               paced_seconds=s.paced_seconds, by_status=s.by_status,
               peak_rss_mb=peak_rss_mb())
    return out


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] != "--child":
        sys.exit("usage: python -m bench.extract --child SIM_URL DB_URL RUN_ID")
    print(json.dumps(child(*sys.argv[2:])))
