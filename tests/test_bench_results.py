"""make bench's bookkeeping: ratios, targets and what bench/results.json keeps (the
figures themselves are measured by `make bench`, never asserted here)."""
from __future__ import annotations

import importlib

bench_main = importlib.import_module("bench.__main__")


def test_ratio_is_value_over_bound_and_target_is_the_largest_acceptable_ratio():
    fig = bench_main.with_ratio({"value": 6.0, "bound": 2.0, "target": 3.0})
    assert fig["ratio"] == 3.0 and bench_main.within(fig)
    slower = bench_main.with_ratio({"value": 6.2, "bound": 2.0, "target": 3.0})
    assert slower["ratio"] == 3.1 and not bench_main.within(slower)


def test_a_figure_without_a_bound_counts_as_missed():
    fig = bench_main.with_ratio({"value": 1, "bound": 0, "target": 1.0})
    assert fig["ratio"] is None and not bench_main.within(fig)


def test_zero_target_takes_only_zero():
    assert bench_main.within(bench_main.with_ratio({"value": 0, "bound": 1377, "target": 0}))
    assert not bench_main.within(bench_main.with_ratio({"value": 1, "bound": 1377, "target": 0}))


def test_results_keep_only_the_contract_keys_and_update_earlier_entries():
    old = {"a": {"value": 1, "bound": 2, "ratio": 0.5, "target": 1.0},
           "b": {"value": 9, "bound": 3, "ratio": 3.0, "target": 3.0}}
    new = {"b": bench_main.with_ratio({"value": 6, "bound": 3, "target": 3.0, "unit": "s"})}
    out = bench_main.results(new, old)
    assert out == {"a": old["a"], "b": {"value": 6, "bound": 3, "ratio": 2.0, "target": 3.0}}


def test_table_marks_each_figure():
    figs = {"x.fast": bench_main.with_ratio({"value": 1, "bound": 2, "target": 1.0, "unit": "s"}),
            "x.slow": bench_main.with_ratio({"value": 5, "bound": 2, "target": 1.0, "unit": "s"})}
    lines = bench_main.table(figs).splitlines()
    assert lines[0].split()[:5] == ["figure", "value", "bound", "ratio", "target"]
    assert lines[2].startswith("x.fast") and lines[2].endswith("ok")
    assert lines[3].startswith("x.slow") and lines[3].endswith("MISSED")
