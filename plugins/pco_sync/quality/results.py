"""What a frame's validation found: the failing rows the quarantine needs (from each chunk's
COMPLETE result) and one SUMMARY-sized result per frame and run, kept in
sync.quality_results so Data Docs can be rendered wherever the church database is reachable
(the API server need not share a disk with the worker).

A frame checked in several chunks gets one result: counts summed, percentages recomputed,
the partial lists (GX's first PARTIAL values) taken from the first chunks that failed.
"""
from __future__ import annotations

import json

from pco_sync import sqlfiles
from pco_sync.errors import QualityCheckError
from pco_sync.quality.frames import Frame

PARTIAL = 20  # GX's SUMMARY keeps 20 unexpected values per expectation; so do we
LONGEST = 120  # characters of a value kept in a detail or a stored example
# COMPLETE-only keys: every failing value or row, too big to keep (100,000 on a bad day)
FULL_ONLY = ("unexpected_list", "unexpected_index_list", "unexpected_index_query")
COUNTS = ("element_count", "missing_count", "unexpected_count")
PARTIAL_LISTS = ("partial_unexpected_list", "partial_unexpected_index_list")


def failures(validation, frame: Frame):
    """(check, detail template, failing row) for each row an expectation found, where a row
    is the frame's columns and the column checked. Raises when an expectation could not
    run: a check that did not run must not let records through unchecked."""
    for r in validation.results:
        raised = _raised(r.exception_info or {})
        if raised:
            check = (r.expectation_config.meta or {}).get("check")
            raise QualityCheckError(f"quality check {check} on {frame.name} could not run: "
                                    f"{raised.get('exception_message')}")
        if not r.success:
            meta = r.expectation_config.meta
            for row in r.result.get("unexpected_index_list") or []:
                yield meta["check"], meta["detail"], row


def _raised(info: dict) -> dict | None:
    """GX reports an exception as exception_info itself, or (a metric that failed) as
    exception_info keyed by the metric."""
    if "raised_exception" in info:
        return info if info["raised_exception"] else None
    return next((v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")),
                None)


def short(value, limit: int = LONGEST):
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"... ({len(value)} characters)"
    return value


class Summary:
    """One frame's result for a run, folded from its chunks' results."""

    def __init__(self, stream: str, frame: Frame):
        self.stream, self.frame = stream, frame
        self.doc: dict | None = None  # the result as JSON, SUMMARY-sized
        self.rows = self.chunks = 0

    def add(self, validation, rows: int) -> None:
        """Fold in a chunk's result (after failures() read it: its full lists are dropped
        here, before GX turns it into JSON)."""
        self.rows, self.chunks = self.rows + rows, self.chunks + 1
        for r in validation.results:
            for key in FULL_ONLY:
                r.result.pop(key, None)
        doc = validation.to_json_dict()
        for r in doc["results"]:
            for key in PARTIAL_LISTS:
                if key in r["result"]:
                    r["result"][key] = [_shortened(v) for v in r["result"][key][:PARTIAL]]
        if self.doc is None:
            self.doc = doc
        else:
            _fold(self.doc, doc)
        _restate(self.doc)
        spec = self.doc["meta"].setdefault("batch_spec", {})
        spec.update(data_asset_name=self.frame.name, rows=self.rows, chunks=self.chunks)


def _shortened(value):
    if isinstance(value, dict):
        return {k: short(v) for k, v in value.items()}
    return short(value)


def _fold(into: dict, doc: dict) -> None:
    """Add a later chunk's result to the frame's."""
    later = {r["expectation_config"]["id"]: r for r in doc["results"]}
    for r in into["results"]:
        more = later[r["expectation_config"]["id"]]
        r["success"] = r["success"] and more["success"]
        got, new = r["result"], more["result"]
        for key in COUNTS:
            if key in got:
                got[key] += new.get(key, 0)
        for key in PARTIAL_LISTS:
            if key in got:
                got[key] = (got[key] + new.get(key, []))[:PARTIAL]
        if "partial_unexpected_counts" in got:
            got["partial_unexpected_counts"] = _counts(got["partial_unexpected_counts"] +
                                                      new.get("partial_unexpected_counts", []))


def _counts(counts: list[dict]) -> list[dict]:
    """Value counts summed by value, most first (of each chunk's most frequent values: the
    counts of a value rare in every chunk may be low)."""
    summed: dict[str, dict] = {}
    for c in counts:
        key = json.dumps(c["value"], sort_keys=True, default=str)
        summed.setdefault(key, {"value": c["value"], "count": 0})["count"] += c["count"]
    return sorted(summed.values(), key=lambda c: -c["count"])[:PARTIAL]


def _restate(doc: dict) -> None:
    """Percentages and statistics from the summed counts, as GX states them."""
    for r in doc["results"]:
        got = r["result"]
        if "element_count" not in got:
            continue
        total, missing = got["element_count"], got.get("missing_count", 0)
        unexpected, present = got.get("unexpected_count", 0), total - missing
        # GX states unexpected_percent of the values present where it counts missing ones
        got["unexpected_percent"] = _percent(unexpected, present if "missing_count" in got
                                             else total)
        for key, value in (("missing_percent", _percent(missing, total)),
                           ("unexpected_percent_total", _percent(unexpected, total)),
                           ("unexpected_percent_nonmissing", _percent(unexpected, present))):
            if key in got:
                got[key] = value
    passed = sum(r["success"] for r in doc["results"])
    evaluated = len(doc["results"])
    doc["success"] = passed == evaluated
    doc["statistics"] = {"evaluated_expectations": evaluated,
                         "successful_expectations": passed,
                         "unsuccessful_expectations": evaluated - passed,
                         "success_percent": _percent(passed, evaluated)}


def _percent(part: int, whole: int) -> float | None:
    return part / whole * 100 if whole else None


def save(conn, stream: str, summaries: list[Summary]) -> None:
    """This run's results of `stream`, replacing whatever an earlier attempt stored (a
    stream with nothing staged stores none)."""
    done = [s for s in summaries if s.doc is not None]
    conn.execute(sqlfiles.read("quality/results_save.sql"), {
        "stream": stream, "frames": [s.frame.name for s in done],
        "suites": [s.doc["suite_name"] for s in done],
        "successes": [s.doc["success"] for s in done],
        "statistics": [json.dumps(s.doc["statistics"]) for s in done],
        "results": [json.dumps(s.doc) for s in done]})
