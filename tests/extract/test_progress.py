"""How far a long read or push is, as its task reports it while it runs: a report every few
seconds (never per record) whose figures grow and end at the step's own final counts."""
from __future__ import annotations

from pco_simulator import SimConfig, Simulator
from pco_sync import progress
from pco_sync.progress import Progress, line
from pco_sync.extract.staging import extract
from pipeline import client_for, seed_people
from push_helpers import local_person, push_people


def test_a_slow_read_reports_growing_figures_that_end_at_its_result(db, monkeypatch):
    monkeypatch.setattr(progress, "EVERY", 0.3)  # a short read: report often enough to see it grow
    # 4 requests a second: the 10 pages take about 2.5 s, waiting on the rate limit
    with Simulator(SimConfig(rate_limit=2, time_scale=0.025)) as slow:
        seed_people(slow, 1000)
        reports = []
        client = client_for(slow)
        result = extract(client, db, "people", "run-progress", progress=reports.append)

    assert result["records"] == 1000 and client.stats.paced_seconds > 0
    done = [r["done"] for r in reports]
    assert done == sorted(done) and done[0] < done[-1], done
    assert 3 <= len(reports) < result["records"] / 50  # a steady pace, not per record
    assert {r["total"] for r in reports} == {1000}  # PCO's meta.total_count, from the first page
    *running, last = reports
    assert not any(r["final"] for r in running) and last["final"]
    assert (last["done"], last["pages"], last["stream"]) == (result["records"], 10, "people")
    assert any(r["left"] for r in running) and last["left"] is None
    assert running[0]["started"] == last["started"] <= running[0]["updated"] <= last["updated"]


def test_a_push_reports_writes_sent_of_those_planned(db, sim):
    for i in range(3):
        local_person(db, f"P{i}", "Lee", email=f"p{i}@example.org")
    reports = []
    counts = push_people(db, client_for(sim), "run-1", progress=reports.append)
    last = reports[-1]
    assert last["final"] and last["step"] == "push people"
    assert last["done"] == last["total"] and last["requests"] == counts["requests"] > 0


def test_reports_keep_a_steady_pace_and_read_as_a_person_says_it():
    now = [0.0]
    reports = []
    told = Progress("people", "records staged", reports.append, every=50, clock=lambda: now[0])
    for n in range(1, 1001):  # 4 records a second (quarters add up exactly in binary)
        now[0] = n * 0.25
        told.update(n, 4000, pages=n // 100)
    told.finish(1000, 4000, pages=10)
    assert [r["done"] for r in reports] == [1, 201, 401, 601, 801, 1000]  # at once, every 50 s, the end
    assert reports[-2]["left"] == (4000 - 801) / 4  # (total - done) / rate so far
    assert line(reports[-2]) == "people: 8 pages, 801 of 4,000 records staged (20%), about 13 min left"
    assert line(reports[-1]) == "people: 10 pages, 1,000 of 4,000 records staged (25%), done"
    assert line({**reports[1], "total": None, "left": None}) == "people: 2 pages, 201 records staged"


def test_checks_and_merges_report_records_checked_and_steps_done(db, db_url, sim, monkeypatch):
    """Great Expectations checks a batch in chunks: the validate task tells records checked
    of those staged; a merge tells which step of how many it is in (its statements are
    set-based: the rows they write are known only at the end)."""
    from pco_sync.merge.run import merge, steps
    from pco_sync.pco import resources
    from pco_sync.quality import validate as quality
    from pipeline import extract as read

    monkeypatch.setattr(progress, "EVERY", 0.0)  # every chunk and step: what is told is checked
    monkeypatch.setattr(quality, "CHUNK_ROWS", 100)
    seed_people(sim, 450)
    read(client_for(sim), db_url, "people", "run-1", full_refresh=True)

    checks = []
    counts = quality.validate_resource(db, "people", "run-1", checks.append)
    checked = [r["done"] for r in checks]
    assert checked == sorted(checked) and len(checks) >= 5  # one report per chunk of 100
    last = checks[-1]
    assert last["final"] and last["step"] == "validate people"
    assert last["done"] == last["total"] == counts["people"]["checked"] == 450

    told = []
    merge(db, "people", "run-1", progress=told.append)
    planned = steps(resources.resource("people"))
    assert [r["statement"] for r in told if not r["final"]] == planned
    assert [r["done"] for r in told] == list(range(len(planned))) + [len(planned)]
    assert told[-1]["final"] and told[-1]["total"] == len(planned)
