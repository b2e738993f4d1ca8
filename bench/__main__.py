"""make bench: run every benchmark, print each figure beside its bound, and write them to
bench/results.json as {"name": {"value", "bound", "ratio", "target"}} (ratio = value/bound;
target = the largest acceptable ratio). Exits non-zero when a figure misses its target."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import generator, push

RESULTS = Path(__file__).with_name("results.json")
SUITES = [generator, push]


def main() -> int:
    figures: dict[str, dict] = {}
    for suite in SUITES:
        for name, fig in suite.run().items():
            fig["ratio"] = round(fig["value"] / fig["bound"], 3) if fig["bound"] else None
            figures[name] = fig
            ok = fig["ratio"] is not None and fig["ratio"] <= fig["target"]
            print(f"{name:<48} {fig['value']:>12.3f} {fig.get('unit', ''):<4} bound "
                  f"{fig['bound']:>10.3f}  ratio {fig['ratio']:>6}  target <= {fig['target']}"
                  f"  {'ok' if ok else 'MISSED'}", flush=True)
    RESULTS.write_text(json.dumps({k: {x: v[x] for x in ("value", "bound", "ratio", "target")}
                                   for k, v in figures.items()}, indent=2))
    missed = [k for k, v in figures.items() if v["ratio"] is None or v["ratio"] > v["target"]]
    print(f"wrote {RESULTS}; {len(figures) - len(missed)} of {len(figures)} within target")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
