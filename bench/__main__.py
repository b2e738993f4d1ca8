"""make bench: run every benchmark, print each figure beside its bound, and write them to
bench/results.json as {"name": {"value", "bound", "ratio", "target"}} (ratio = value/bound;
target = the largest acceptable ratio). Exits non-zero when a figure misses its target.

`python -m bench extract merge` runs only those suites and updates their figures in
results.json, keeping the others.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bench import (airflow, churches, extract, generator, groups, merge, push, quality, soak,
                   teams, webhooks)

RESULTS = Path(__file__).with_name("results.json")
SUITES = {"generator": generator, "extract": extract, "quality": quality, "merge": merge,
          "push": push, "groups": groups, "teams": teams, "webhooks": webhooks,
          "churches": churches, "airflow": airflow, "soak": soak}
KEYS = ("value", "bound", "ratio", "target")


def with_ratio(fig: dict) -> dict:
    """The figure with ratio = value / bound (None when there is no bound to divide by)."""
    ratio = round(fig["value"] / fig["bound"], 3) if fig["bound"] else None
    return {**fig, "ratio": ratio}


def within(fig: dict) -> bool:
    return fig["ratio"] is not None and fig["ratio"] <= fig["target"]


def results(figures: dict[str, dict], previous: dict | None = None) -> dict[str, dict]:
    """What results.json holds: the previous entries, updated with these figures."""
    out = dict(previous or {})
    out.update({name: {k: fig[k] for k in KEYS} for name, fig in figures.items()})
    return out


def table(figures: dict[str, dict]) -> str:
    head = ("figure", "value", "bound", "ratio", "target", "")
    rows = [(name, f"{f['value']:,.6g} {f.get('unit', '')}".strip(),
             f"{f['bound']:,.6g} {f.get('unit', '')}".strip(),
             "-" if f["ratio"] is None else f"{f['ratio']:.3f}", f"<= {f['target']}",
             "ok" if within(f) else "MISSED") for name, f in figures.items()]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w) if i in (0, 5) else c.rjust(w)  # noqa: E731
                               for i, (c, w) in enumerate(zip(r, widths))).rstrip()
    return "\n".join([line(head), line(tuple("-" * w for w in widths)), *map(line, rows)])


def main(argv: list[str]) -> int:
    unknown = [a for a in argv if a not in SUITES]
    if unknown:
        print(f"unknown suite(s) {', '.join(unknown)}; known: {', '.join(SUITES)}",
              file=sys.stderr)
        return 2
    figures: dict[str, dict] = {}
    started = time.perf_counter()
    for name in argv or SUITES:
        t = time.perf_counter()
        for fig_name, fig in SUITES[name].run().items():
            figures[fig_name] = with_ratio(fig)
        print(f"{name}: done in {time.perf_counter() - t:.0f} s\n", flush=True)
    print(table(figures))
    previous = json.loads(RESULTS.read_text()) if argv and RESULTS.exists() else None
    RESULTS.write_text(json.dumps(results(figures, previous), indent=2) + "\n")
    missed = [k for k, v in figures.items() if not within(v)]
    print(f"\nwrote {RESULTS.name}; {len(figures) - len(missed)} of {len(figures)} within "
          f"target; {time.perf_counter() - started:.0f} s in all")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
