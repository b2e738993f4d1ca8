"""`python -m pco_simulator serve --state FILE` keeps its data across restarts, as `make
airflow` runs it: a record written between two runs is still there after a clean stop
(SIGTERM, Ctrl-C) and after a kill -9 once the debounced save has happened; the file is
loaded instead of generating a church. Real subprocesses, real HTTP."""
from __future__ import annotations

import json
import signal
import time

import pytest

from test_admin_cli import Served

PEOPLE = "20"


def serve(state, *extra) -> Served:
    return Served("--people", PEOPLE, "--seed", "2", "--state", str(state),
                  "--app-id", "contract_app", "--secret", "contract_secret", *extra).wait()


def create_person(server: Served, first_name: str) -> str:
    r = server.http.post(server.url + "/people/v2/people", timeout=10, json={
        "data": {"type": "Person", "attributes": {"first_name": first_name,
                                                  "last_name": "Kept"}}})
    assert r.status_code == 201, r.text[:300]
    return r.json()["data"]["id"]


def first_name(server: Served, pid: str) -> str | None:
    r = server.get(f"/people/v2/people/{pid}")
    return r.json()["data"]["attributes"]["first_name"] if r.status_code == 200 else None


def people_count(server: Served) -> int:
    return server.get("/people/v2/people", per_page=1).json()["meta"]["total_count"]


def saved_people(state) -> dict:
    try:
        return {p["id"]: p for p in json.loads(state.read_text())["tables"]["people"]}
    except (FileNotFoundError, ValueError):
        return {}


def test_a_clean_stop_saves_and_a_restart_loads_instead_of_generating(tmp_path):
    state = tmp_path / "state" / "pco.json"
    # A save delay far longer than the test: only the shutdown can save the write.
    first = serve(state, "--save-delay", "600")
    generated = people_count(first)
    pid = create_person(first, "Stopped")
    first.proc.send_signal(signal.SIGINT)  # Ctrl-C
    first.proc.wait(timeout=30)
    assert first.proc.returncode == 0, first.output()
    first.http.close()
    first.log.close()
    assert saved_people(state)[pid]["first_name"] == "Stopped"

    # Another --people and --seed: the state wins over generating.
    second = Served("--people", "50", "--seed", "9", "--state", str(state),
                    "--app-id", "contract_app", "--secret", "contract_secret").wait()
    try:
        assert first_name(second, pid) == "Stopped"
        assert people_count(second) == generated + 1
        assert "loaded from" in second.output()
        later = create_person(second, "Terminated")
        assert int(later) > int(pid)  # new ids continue after the saved ones
    finally:
        assert second.stop() == 0  # SIGTERM: saved on the way out
    third = serve(state)
    try:
        assert first_name(third, later) == "Terminated"
        assert first_name(third, pid) == "Stopped"
    finally:
        third.stop()
    assert not list(state.parent.glob(".*.tmp"))  # saves go through a renamed temp file


@pytest.mark.timeout(120)
def test_a_kill_after_the_debounce_loses_nothing(tmp_path):
    state = tmp_path / "pco.json"
    server = serve(state, "--save-delay", "0.5")
    pid = create_person(server, "Killed")
    r = server.http.patch(server.url + f"/people/v2/people/{pid}", timeout=10, json={
        "data": {"type": "Person", "id": pid, "attributes": {"first_name": "Renamed"}}})
    assert r.status_code == 200, r.text[:300]
    # The debounced save, seen from outside: the file holds the rename.
    deadline = time.monotonic() + 60
    while saved_people(state).get(pid, {}).get("first_name") != "Renamed":
        assert time.monotonic() < deadline, "the state file never got the write"
        time.sleep(0.1)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(timeout=10)
    server.http.close()
    server.log.close()

    again = serve(state)
    try:
        assert first_name(again, pid) == "Renamed"
    finally:
        again.stop()
