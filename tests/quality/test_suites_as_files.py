"""The row checks' rules are GX suite files (include/gx/expectations, one per frame), run
through a checkpoint per frame named by the Airflow run; each run's results are kept in
sync.quality_results (one SUMMARY-sized result per frame, replaced by a re-run) and rendered
as Data Docs by quality.docs."""
from __future__ import annotations

import json
import re
import shutil
import string
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pco_sync.errors import NoQualityResults, QualityCheckError
from pco_sync.quality import docs, results, suites, validate as validation
from pco_sync.quality.validate import FRAMES, validate

RUN = "manual__2026-03-01T10:00:00+00:00"  # an Airflow run id
PACKAGE = Path(validation.__file__).resolve().parents[1]


def frames():
    return [frame for stream in FRAMES.values() for frame in stream]


def stage(db, stream: str, records: dict, run_id: str = RUN) -> None:
    db.execute(f"INSERT INTO pco_staging.{stream} (run_id, pco_id, record) "
               "SELECT %s, key, value FROM jsonb_each(%s::jsonb)", (run_id, json.dumps(records)))
    db.commit()


def person(pid: str, status: str = "active", included=None, **attributes) -> dict:
    return {"type": "Person", "id": pid, "included": included or {},
            "attributes": {"first_name": "A", "last_name": "B", "status": status, **attributes}}


def stored(db, run_id: str = RUN) -> dict[tuple[str, str], dict]:
    rows = db.execute("SELECT stream, frame, suite, success, statistics, result, validated_at "
                      "FROM sync.quality_results WHERE run_id = %s", (run_id,)).fetchall()
    return {(s, f): {"suite": suite, "success": ok, "statistics": st, "result": r, "at": at}
            for s, f, suite, ok, st, r, at in rows}


def by_check(result: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in result["results"]:
        out.setdefault(r["expectation_config"]["meta"]["check"], []).append(r)
    return out


# ---- the files ------------------------------------------------------------------------------
def test_every_frame_has_its_suite_file_and_every_file_is_a_frames():
    assert sorted(f.name for f in frames()) == suites.names()
    for frame in frames():
        assert suites.load(frame.name)["name"] == frame.name


def test_each_expectation_names_its_check_and_a_detail_over_the_failing_row():
    for frame in frames():
        details: dict[str, set[str]] = {}
        for exp in suites.load(frame.name)["expectations"]:
            meta = exp["meta"]
            details.setdefault(meta["check"], set()).add(meta["detail"])
            fields = {f for _, f, _, _ in string.Formatter().parse(meta["detail"]) if f}
            row = set(frame.columns) | {exp["kwargs"]["column"]}
            assert {f.split("!")[0] for f in fields} <= row, (frame.name, meta)
        # one detail per check: a record failing two expectations of it reads the same
        assert all(len(d) == 1 for d in details.values()), (frame.name, details)


def test_the_rules_live_only_in_the_files():
    built = [f"{p.name}: {m.group(0)}" for p in PACKAGE.rglob("*.py")
             for m in re.finditer(r"\bExpect[A-Z]\w+|gx\.expectations|add_expectation",
                                  p.read_text())]
    assert not built, built
    dated = [(f.name, e["kwargs"]) for f in frames()
             for e in suites.load(f.name)["expectations"]
             if re.search(r"20\d\d-\d\d-\d\d", json.dumps(e["kwargs"]))]
    assert not dated, "a date that moves must be a parameter: " + repr(dated)
    [between] = [e for e in suites.load("people")["expectations"]
                 if e["type"] == "expect_column_values_to_be_between"]
    assert between["kwargs"]["max_value"] == {"$PARAMETER": "today"}


def test_a_suite_file_that_does_not_say_its_check_is_refused(tmp_path, monkeypatch):
    gx_dir = tmp_path / "gx"
    shutil.copytree(suites.root(), gx_dir)
    suite = json.loads((gx_dir / "expectations" / "events.json").read_text())
    del suite["expectations"][0]["meta"]["check"]
    (gx_dir / "expectations" / "events.json").write_text(json.dumps(suite))
    monkeypatch.setenv(suites.ENV, str(gx_dir))
    with pytest.raises(QualityCheckError, match="meta.check"):
        suites.load("events")


def test_a_check_that_cannot_run_stops_the_validation(db, tmp_path, monkeypatch):
    gx_dir = tmp_path / "gx"
    shutil.copytree(suites.root(), gx_dir)
    path = gx_dir / "expectations" / "events.json"
    suite = json.loads(path.read_text())
    suite["expectations"][0]["kwargs"]["column"] = "no_such_column"
    path.write_text(json.dumps(suite))
    monkeypatch.setenv(suites.ENV, str(gx_dir))
    stage(db, "events", {"e1": {"type": "Event", "id": "e1", "attributes": {"name": "Easter"}}})
    with pytest.raises(QualityCheckError, match="id_present on events could not run"):
        validate(db, "events", RUN)


# ---- a run's results ------------------------------------------------------------------------
def test_the_birthdate_bound_is_the_day_of_the_run(db):
    today = datetime.now(timezone.utc).date()
    stage(db, "people", {"past": person("past", birthdate=today.isoformat()),
                         "next": person("next", birthdate=(today + timedelta(days=1)).isoformat())})
    validate(db, "people", RUN)
    assert db.execute("SELECT pco_id, check_name FROM sync.quarantine").fetchall() == [
        ("next", "birthdate_valid")]


def test_a_run_stores_one_summary_result_per_frame_named_by_the_run(db):
    stage(db, "people", {"p1": person("p1", status="deceased"), "p2": person("p2"),
                         "p3": person("p3", included={"emails": [
                             {"id": "e1", "attributes": {"address": "nope"}}]})})
    validate(db, "people", RUN)

    got = stored(db)
    assert set(got) == {("people", "people"), ("people", "people_emails"),
                        ("people", "people_phone_numbers")}
    people, emails, phones = (got["people", f] for f in
                              ("people", "people_emails", "people_phone_numbers"))
    assert (people["suite"], people["success"], emails["success"], phones["success"]) == (
        "people", False, False, True)
    assert people["statistics"]["unsuccessful_expectations"] == 1
    result = people["result"]
    assert result["meta"]["run_id"]["run_name"] == RUN  # GX's run name is Airflow's run id
    assert result["statistics"] == people["statistics"]
    [in_set] = [r for r in by_check(result)["status_known"] if not r["success"]]
    assert in_set["result"]["unexpected_count"] == 1
    assert in_set["result"]["partial_unexpected_list"] == ["deceased"]
    assert in_set["result"]["partial_unexpected_index_list"][0]["pco_id"] == "p1"
    for r in result["results"]:  # SUMMARY-sized: never every failing row
        assert not set(results.FULL_ONLY) & set(r["result"])
    assert result["meta"]["batch_spec"]["rows"] == 3


def test_chunks_fold_into_one_result_per_frame(db, monkeypatch):
    stage(db, "people", {f"p{i}": person(f"p{i}", status="gone" if i < 25 else "active",
                                         first_name="X" * 500 if i == 0 else "A")
                         for i in range(30)})
    validate(db, "people", RUN)
    whole = stored(db)["people", "people"]["result"]
    quarantined = db.execute("SELECT pco_id, check_name, detail FROM sync.quarantine "
                             "ORDER BY 1, 2").fetchall()

    monkeypatch.setattr(validation, "CHUNK_ROWS", 4)
    assert validate(db, "people", RUN) == {"checked": 30, "passed": 5, "quarantined": 25}
    assert db.execute("SELECT pco_id, check_name, detail FROM sync.quarantine "
                      "ORDER BY 1, 2").fetchall() == quarantined
    chunked = stored(db)["people", "people"]["result"]
    assert chunked["meta"]["batch_spec"]["chunks"] == 8
    assert chunked["statistics"] == whole["statistics"]
    for a, b in zip(whole["results"], chunked["results"]):
        for key in ("element_count", "unexpected_count", "missing_count", "unexpected_percent",
                    "unexpected_percent_total"):
            assert a["result"].get(key) == b["result"].get(key), key
        assert len(b["result"].get("partial_unexpected_list", [])) <= results.PARTIAL
    [in_set] = [r for r in by_check(chunked)["status_known"] if not r["success"]]
    assert in_set["result"]["unexpected_count"] == 25
    assert in_set["result"]["partial_unexpected_counts"] == [{"value": "gone", "count": 25}]
    [length] = [r for r in by_check(chunked)["name_length"] if not r["success"]]
    assert len(length["result"]["partial_unexpected_list"][0]) < 200  # long values shortened


def test_a_rerun_replaces_the_runs_results_of_that_stream_only(db):
    stage(db, "people", {"p1": person("p1", status="deceased")})
    stage(db, "households", {"h1": {"type": "Household", "id": "h1",
                                    "attributes": {"name": "H"}}})
    validate(db, "people", RUN)
    validate(db, "households", RUN)
    first = stored(db)
    db.execute("UPDATE pco_staging.people SET record = %s WHERE pco_id = 'p1'",
               (json.dumps(person("p1")),))
    db.commit()

    validate(db, "people", RUN)
    again = stored(db)
    assert set(again) == set(first)
    assert again["people", "people"]["success"] and not first["people", "people"]["success"]
    assert again["people", "people"]["at"] > first["people", "people"]["at"]
    assert again["households", "households"] == first["households", "households"]

    db.execute("DELETE FROM pco_staging.people")  # the next attempt stages nothing
    db.commit()
    validate(db, "people", RUN)
    assert set(stored(db)) == {("households", "households")}


# ---- Data Docs ------------------------------------------------------------------------------
def test_data_docs_of_a_run_name_it_and_show_what_failed(db):
    stage(db, "people", {"p1": person("p1", status="deceased"),
                         "p2": person("p2", status="<script>alert(1)</script>")})
    stage(db, "households", {"h1": {"type": "Household", "id": "h1",
                                    "attributes": {"name": "H"}}})
    validate(db, "people", RUN)
    validate(db, "households", RUN)
    stage(db, "people", {"p9": person("p9")}, run_id="scheduled__later")
    validate(db, "people", "scheduled__later")

    page = docs.render(db, RUN, home="/pco-sync/review/pco_sync")
    assert page.lstrip().startswith("<!DOCTYPE html>")
    # No link into GX's own site layout, which is not served: Home is the PCO Sync page.
    assert "../" not in page and 'href="/pco-sync/review/pco_sync"' in page
    assert f"Validations / {RUN}" in page
    assert "values must belong to this set" in page and "deceased" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page  # PCO's value
    stage(db, "people", {"p1": person("p1", status="x")}, run_id="manual__<i>typed</i>")
    validate(db, "people", "manual__<i>typed</i>")
    assert "<i>typed" not in docs.render(db, "manual__<i>typed</i>")  # nor a run id's
    assert "people_emails" in page and "Data asset: households" in page

    people_only = docs.render(db, RUN, stream="people")
    assert "people_emails" in people_only and "Data asset: households" not in people_only
    with pytest.raises(NoQualityResults):
        docs.render(db, "manual__never")
    with pytest.raises(NoQualityResults):
        docs.render(db, "scheduled__later", stream="households")

    listed = {r["run_id"]: r for r in docs.runs(db)}
    assert set(listed) == {RUN, "scheduled__later", "manual__<i>typed</i>"}
    assert docs.runs(db)[0]["run_id"] == "manual__<i>typed</i>"  # the latest first
    assert listed[RUN]["streams"] == ["households", "people"]
    assert not listed[RUN]["success"] and listed["scheduled__later"]["success"]
    assert listed[RUN]["failed"] == 2  # status_known of people, has_members of households
