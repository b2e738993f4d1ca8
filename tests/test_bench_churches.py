"""bench/churches.py's arithmetic (the benchmark itself runs under `make bench`): a DAG's
offset from its cron, and the figures from the runs it reports."""
from __future__ import annotations

from types import SimpleNamespace

from bench import churches


def test_offset_from_the_staggered_cron():
    assert churches.offset_minutes(SimpleNamespace(_expression="7,22,37,52 * * * *")) == 7
    assert churches.offset_minutes(SimpleNamespace(_expression="*/15 * * * *")) == 0
    assert churches.offset_minutes(SimpleNamespace(_expression="0,15,30,45 * * * *")) == 0


def run(due, start, end, state="success", tasks=20, done=20):
    return {"dag_id": "d", "run_id": "r", "due": due, "offset": 0, "state": state,
            "start": start, "end": end, "task_seconds": 1.0, "tasks": tasks, "tasks_done": done}


def test_figures_take_the_latest_finish_the_busiest_minute_and_cpu_per_finished_run(monkeypatch):
    monkeypatch.setattr(churches, "INTERVAL", 900.0)
    monkeypatch.setattr(churches, "INTERVALS", 1)
    runs = [run(0, 1, 100), run(0, 2, 300), run(60, 60, 200), run(600, 601, 700)]
    got = churches.figures(runs, cpu=400.0, churches=4)
    assert got["churches.latest_finish_seconds"]["value"] == 300
    assert got["churches.latest_finish_seconds"]["bound"] == 900
    assert got["churches.busiest_minute_starts"]["value"] == 3  # 1, 2 and 60 s: within one minute
    assert got["churches.cpu_seconds_per_run"]["value"] == 100.0


def test_a_run_cut_off_counts_as_late_and_for_its_share_of_cpu(monkeypatch):
    monkeypatch.setattr(churches, "INTERVAL", 900.0)
    monkeypatch.setattr(churches, "INTERVALS", 1)
    runs = [run(0, 1, 100), run(0, 2, None, state="running", done=10)]
    got = churches.figures(runs, cpu=300.0, churches=2)
    assert got["churches.latest_finish_seconds"]["value"] > 900  # missed, whatever else
    assert got["churches.cpu_seconds_per_run"]["value"] == 200.0  # 300 CPU-s for 30 of 40 tasks
