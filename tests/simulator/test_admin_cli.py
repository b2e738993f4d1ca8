"""The admin API and the command line, including the contract other code relies on:

    python -m pco_simulator serve --host H --port P --people N --seed S --app-id ID \\
        --secret SECRET --rate-limit L --rate-period T --time-scale X

serves a generated church of about N people over HTTP Basic ID:SECRET, answers with rate
headers L / T*X, generates the same data for the same options, and stops cleanly.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from pco_simulator.__main__ import main
from servers import free_port

ROOT = Path(__file__).resolve().parents[2]
APP_ID, SECRET = "contract_app", "contract_secret"
CONTRACT = ["--people", "300", "--app-id", APP_ID, "--secret", SECRET, "--rate-limit", "50",
            "--rate-period", "10", "--time-scale", "0.5"]


def cli(*args, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pco_simulator", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


class Served:
    """`python -m pco_simulator serve ...` in a subprocess."""

    def __init__(self, *args: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pco_simulator", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), *args],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        self.http = requests.Session()
        self.http.auth = (APP_ID, SECRET)

    def wait(self, timeout=60.0) -> "Served":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited with {self.proc.returncode}: {self.output()}")
            try:
                if requests.get(self.url + "/__admin/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        pytest.fail(f"serve did not answer within {timeout} s: {self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()[-2000:]

    def get(self, path, **params) -> requests.Response:
        """GET like a polite client: wait out a 429 (the window here is 5 s)."""
        for _ in range(5):
            r = self.http.get(self.url + path, params=params, timeout=10)
            if r.status_code != 429:
                return r
            time.sleep(float(r.headers["Retry-After"]))
        return r

    def stop(self) -> int:
        """SIGTERM, as a service manager would; uvicorn shuts down gracefully and then
        re-raises the signal, so the exit status is 0 or -SIGTERM, never a kill."""
        self.http.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                pytest.fail("serve did not stop on SIGTERM")
        assert "Traceback" not in self.output(), self.output()
        self.log.close()
        return self.proc.returncode


CLEAN_EXIT = (0, -signal.SIGTERM)


@pytest.fixture(scope="module")
def servers():
    """Three contract servers started at once: two with seed 5, one with seed 6."""
    started = {name: Served(*CONTRACT, "--seed", seed)
               for name, seed in (("a", "5"), ("b", "5"), ("c", "6"))}
    try:
        for s in started.values():
            s.wait()
        yield started
    finally:
        for s in started.values():
            s.stop()


def people_page(server: Served) -> list[dict]:
    r = server.get("/people/v2/people", per_page=100, order="last_name")
    assert r.status_code == 200, r.text[:300]
    return [{"id": p["id"], "attributes": p["attributes"]} for p in r.json()["data"]]


# ---- the contract --------------------------------------------------------------------------
def test_serve_answers_with_the_given_credentials_church_and_rate_headers(servers):
    for s in (servers["a"], servers["b"]):
        r = s.get("/people/v2/people")
        assert r.status_code == 200, r.text[:300]
        total = r.json()["meta"]["total_count"]
        assert 270 <= total <= 330, total
        assert r.headers["X-PCO-API-Request-Rate-Limit"] == "50"
        assert r.headers["X-PCO-API-Request-Rate-Period"] == "5"  # 10 s * 0.5
        assert int(r.headers["X-PCO-API-Request-Rate-Count"]) >= 1
        assert r.headers["Content-Type"].startswith("application/vnd.api+json")
        assert r.json()["links"]["self"] == s.url + "/people/v2/people"
        for other in ("/people/v2/households", "/groups/v2/groups", "/calendar/v2/events",
                      "/services/v2/teams"):
            assert s.get(other).json()["meta"]["total_count"] > 0, other
        assert requests.get(s.url + "/people/v2/people", auth=(APP_ID, "wrong"),
                            timeout=10).status_code == 401
        assert requests.get(s.url + "/people/v2/people", timeout=10).status_code == 401


def test_same_seed_same_data_and_different_seed_different_data(servers):
    a, b, c = (people_page(servers[k]) for k in "abc")
    assert len(a) == 100 and a == b
    households = [[(h["id"], h["attributes"]) for h in
                   servers[k].get("/people/v2/households", per_page=100).json()["data"]]
                  for k in "ab"]
    assert households[0] == households[1] and len(households[0]) > 50
    assert [p["attributes"]["name"] for p in a] != [p["attributes"]["name"] for p in c]


def test_the_rate_limit_is_enforced_per_the_options(servers):
    s = servers["a"]
    for _ in range(120):  # 50 fit in one 5 s window, even if one ends mid-loop
        r = s.http.get(s.url + "/people/v2/people", params={"per_page": 1}, timeout=10)
        if r.status_code == 429:
            break
    assert r.status_code == 429
    assert 0 < float(r.headers["Retry-After"]) <= 5
    assert r.json()["errors"][0]["detail"].endswith("of 50 requests per 5 seconds")


def run_main(capsys, *argv):
    """The CLI's main() in this process (a subprocess costs a second of imports)."""
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_admin_cli_against_the_running_server(servers, tmp_path, capsys):
    s = servers["c"]
    url = s.url
    assert s.get("/people/v2/people").status_code == 200

    out = cli("admin", "--url", url, "counters")
    assert out.returncode == 0, out.stderr
    counters = json.loads(out.stdout)["counters"]
    assert any(c["route"] == "/people/v2/people" and c["method"] == "GET" and
               c["status"] == 200 and c["count"] >= 1 for c in counters)

    reqs = run_main(capsys, "admin", "--url", url, "requests", "--limit", "3")["requests"]
    assert 1 <= len(reqs) <= 3 and all("status" in r for r in reqs)

    pid = s.get("/people/v2/people").json()["data"][0]["id"]
    run_main(capsys, "admin", "--url", url, "edit", "people", pid, "first_name=Zebulon",
             "remote_id=77")
    got = s.get(f"/people/v2/people/{pid}").json()["data"]["attributes"]
    assert got["first_name"] == "Zebulon" and got["remote_id"] == 77

    cfg = run_main(capsys, "admin", "--url", url, "limits", "--rate-limit", "60", "--quirk",
                   "offset_not_snapshot=off")
    assert cfg["rate_limit"] == 60 and cfg["quirks"]["offset_not_snapshot"] is False
    assert s.get("/people/v2/people").headers["X-PCO-API-Request-Rate-Limit"] == "60"

    assert run_main(capsys, "admin", "--url", url, "faults") == {"faults": []}
    assert run_main(capsys, "admin", "--url", url, "clock", "--advance", "3600")["now"]

    target = tmp_path / "saved.json"
    run_main(capsys, "admin", "--url", url, "save", str(target))
    saved = json.loads(target.read_text())
    assert len(saved["tables"]["people"]) == s.get("/people/v2/people").json()["meta"][
        "total_count"]

    with pytest.raises(SystemExit, match="404"):
        main(["admin", "--url", url, "delete", "people", "1"])
    with pytest.raises(SystemExit, match="cannot reach"):
        main(["admin", "--url", f"http://127.0.0.1:{free_port()}", "counters"])


def test_generate_then_serve_the_file(tmp_path):
    out_file = tmp_path / "church.json"
    out = cli("generate", "--people", "50", "--seed", "3", "--out", str(out_file))
    assert out.returncode == 0, out.stderr
    counts = json.loads(out.stdout)
    data = json.loads(out_file.read_text())
    assert data["format"] == "pco_simulator/1"
    people = {p["id"]: p for p in data["tables"]["people"]}
    assert len(people) == counts["people"] and 40 <= len(people) <= 60
    s = Served("--data", str(out_file), "--people", "999", "--app-id", APP_ID,
               "--secret", SECRET).wait()
    try:
        r = s.get("/people/v2/people", per_page=100)
        assert r.json()["meta"]["total_count"] == len(people)
        for p in r.json()["data"]:
            want = people[p["id"]]
            assert (p["attributes"]["first_name"], p["attributes"]["last_name"],
                    p["attributes"]["updated_at"]) == \
                (want["first_name"], want["last_name"], want["updated_at"])
        hh = s.get("/people/v2/households", per_page=100).json()["meta"]["total_count"]
        assert hh == len(data["tables"]["households"])
    finally:  # and it stops cleanly on SIGTERM, freeing its port
        assert s.stop() in CLEAN_EXIT
    with pytest.raises(requests.ConnectionError):
        requests.get(s.url + "/__admin/health", timeout=2)


# ---- --help --------------------------------------------------------------------------------
ADMIN_ACTIONS = ("reset", "edit", "delete", "inactivate", "merge", "add-member",
                 "remove-member", "move", "requests", "counters", "faults", "limits", "save",
                 "load", "clock", "webhooks")


def help_text(capsys, *argv) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0, argv
    return capsys.readouterr().out


def test_help_for_every_command(capsys):
    cmds = [[], ["serve"]]  # from the shell; the rest in-process (imports cost ~1.5 s)
    procs = [(c, subprocess.Popen([sys.executable, "-m", "pco_simulator", *c, "--help"],
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)) for c in cmds]
    helps = {}
    for c, p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, (c, err)
        assert "usage:" in out, c
        helps[" ".join(c)] = out
    helps["generate"] = help_text(capsys, "generate")
    helps["admin"] = help_text(capsys, "admin")
    for action in ADMIN_ACTIONS:
        helps[f"admin {action}"] = help_text(capsys, "admin", action)
        assert "usage:" in helps[f"admin {action}"]
    for word in ("serve", "generate", "admin"):
        assert word in helps[""]
    for opt in ("--host", "--port", "--people", "--seed", "--app-id", "--secret",
                "--rate-limit", "--rate-period", "--time-scale", "--data", "--quirk",
                "--fault", "--state", "--save-delay"):
        assert opt in helps["serve"], opt
    for opt in ("--people", "--seed", "--out"):
        assert opt in helps["generate"], opt
    assert "--url" in helps["admin"]
    for action in ADMIN_ACTIONS:
        assert action in helps["admin"], action
    assert "--advance" in helps["admin clock"]
    assert "--rate-limit" in helps["admin limits"] and "--quirk" in helps["admin limits"]
    assert "--people" in helps["admin reset"] and "--seed" in helps["admin reset"]


@pytest.mark.parametrize("args", [
    ["serve", "--rate-limit", "0"], ["serve", "--quirk", "nope=on"],
    ["serve", "--fault", "not json"], ["serve", "--port", "eighty"], ["generate"],
    ["frobnicate"], ["admin", "limits", "--time-scale", "-1"],
])
def test_bad_arguments_exit_2_with_usage(capsys, args):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert "usage:" in capsys.readouterr().err


# ---- the admin API (in-process) ------------------------------------------------------------
def admin(sim, method, path, body=None, status=200):
    r = requests.request(method, sim.url + "/__admin" + path, json=body, timeout=30)
    assert r.status_code == status, (path, r.status_code, r.text[:300])
    return r.json()


def total(pco, path):
    r = pco.get(pco.base + path)
    assert r.status_code == 200
    return r.json()["meta"]["total_count"]


def test_admin_reset_with_people_and_seed(sim, pco):
    assert admin(sim, "POST", "/reset")["counts"] == {}
    assert total(pco, "/people/v2/people") == 0
    counts = admin(sim, "POST", "/reset", {"people": 40, "seed": 2})["counts"]
    for table, path in (("people", "/people/v2/people"), ("households", "/people/v2/households"),
                        ("emails", "/people/v2/emails"), ("groups", "/groups/v2/groups"),
                        ("events", "/calendar/v2/events"), ("teams", "/services/v2/teams")):
        assert total(pco, path) == counts[table] > 0, table
    health = admin(sim, "GET", "/health")["counts"]
    assert health["people"] == counts["people"]
    first = pco.get(pco.base + "/people/v2/people").json()["data"]
    # the same seed again gives the same people; another seed other people
    admin(sim, "POST", "/reset", {"people": 40, "seed": 2})
    assert pco.get(pco.base + "/people/v2/people").json()["data"] == first
    admin(sim, "POST", "/reset", {"people": 40, "seed": 3})
    other = pco.get(pco.base + "/people/v2/people").json()["data"]
    assert [p["attributes"]["name"] for p in other] != [p["attributes"]["name"] for p in first]
    assert admin(sim, "GET", "/requests")["requests"]  # the log restarts at a reset


def test_admin_save_load_round_trip(sim, pco, tmp_path):
    admin(sim, "POST", "/reset", {"people": 30, "seed": 4})
    first, second = tmp_path / "one.json", tmp_path / "two.json"
    admin(sim, "POST", "/save", {"path": str(first)})
    victim = pco.get(pco.base + "/people/v2/people").json()["data"][0]
    assert pco.delete(pco.base + f"/people/v2/people/{victim['id']}").status_code == 204
    r = pco.post(pco.base + "/people/v2/people",
                 json={"data": {"attributes": {"first_name": "Extra"}}})
    assert r.status_code == 201
    counts = admin(sim, "POST", "/load", {"path": str(first)})["counts"]
    assert counts["people"] == 30
    back = pco.get(pco.base + f"/people/v2/people/{victim['id']}")
    assert back.status_code == 200 and back.json()["data"]["attributes"] == \
        victim["attributes"]
    assert pco.get(pco.base + "/people/v2/people",
                   params={"where[first_name]": "Extra"}).json()["data"] == []
    admin(sim, "POST", "/save", {"path": str(second)})
    assert json.loads(first.read_text()) == json.loads(second.read_text())
    # new ids continue after the loaded ones
    r = pco.post(pco.base + "/people/v2/people",
                 json={"data": {"attributes": {"first_name": "New"}}})
    assert r.json()["data"]["id"] not in {p["id"] for p in
                                         json.loads(first.read_text())["tables"]["people"]}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "something else"}))
    admin(sim, "POST", "/load", {"path": str(bad)}, status=400)
    assert total(pco, "/people/v2/people") == 31


def test_admin_staff_edits(sim, pco):
    admin(sim, "POST", "/reset", {"people": 20, "seed": 1})
    p = pco.get(pco.base + "/people/v2/people").json()["data"][0]
    pid, before = p["id"], p["attributes"]["updated_at"]
    rec = admin(sim, "PATCH", f"/records/people/{pid}", {"first_name": "Zelda"})
    assert rec["first_name"] == "Zelda" and rec["updated_at"] > before
    got = pco.get(pco.base + f"/people/v2/people/{pid}").json()["data"]["attributes"]
    assert got["first_name"] == "Zelda" and got["updated_at"] == rec["updated_at"]
    # bump=false: a change PCO does not reflect in updated_at
    quiet = admin(sim, "PATCH", f"/records/people/{pid}?bump=false", {"medical_notes": "x"})
    assert quiet["updated_at"] == rec["updated_at"]
    admin(sim, "POST", f"/people/{pid}/inactivate")
    got = pco.get(pco.base + f"/people/v2/people/{pid}").json()["data"]["attributes"]
    assert got["status"] == "inactive" and got["inactivated_at"]
    created = admin(sim, "POST", "/records/people", {"first_name": "Staff", "last_name": "Made"})
    assert pco.get(pco.base + f"/people/v2/people/{created['id']}").status_code == 200
    admin(sim, "DELETE", f"/records/people/{created['id']}")
    assert pco.get(pco.base + f"/people/v2/people/{created['id']}").status_code == 404
    admin(sim, "GET", "/records/people/1", status=404)
    admin(sim, "GET", "/records/nope/1", status=404)
    admin(sim, "PATCH", "/config", {"rate_limit": 0}, status=400)
    admin(sim, "PATCH", "/config", {"secret": "x"}, status=400)


def test_the_commands_default_to_the_port_make_airflow_gives_the_simulator(monkeypatch):
    from pco_simulator.__main__ import build_parser

    monkeypatch.setenv("PCO_SYNC_SIM_PORT", "9871")
    parser = build_parser()
    assert parser.parse_args(["admin", "reset"]).url == "http://127.0.0.1:9871"
    assert parser.parse_args(["serve"]).port == 9871
    monkeypatch.delenv("PCO_SYNC_SIM_PORT")
    assert build_parser().parse_args(["admin", "reset"]).url == "http://127.0.0.1:8765"
