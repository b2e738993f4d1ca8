"""A quiet run's validate tasks (issue 18): with nothing staged for the run, every resource's
checks and gates finish with empty counts in a process that never imports Great
Expectations or pandas (about 10 s of a task's start-up otherwise, for nothing to check)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What a validate task's process runs: the task module and the step, for every resource.
CHILD = """
import json, sys
import pco_sync.airflow.tasks
from pco_sync import church_db
from pco_sync.pco import resources
from pco_sync.quality.gates import gate
from pco_sync.quality.validate import validate_resource

out = {}
with church_db.connect(sys.argv[1]) as conn:
    for name in resources.RESOURCES:
        out[name] = validate_resource(conn, name, "quiet-run")
        gate(conn, "quiet-run", resources.resource(name).streams, full_refresh=False)
heavy = sorted(m for m in ("great_expectations", "pandas") if m in sys.modules)
print(json.dumps({"results": out, "heavy": heavy}))
"""


def test_nothing_staged_is_validated_without_great_expectations_or_pandas(db, db_url):
    from pco_sync.pco import resources

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), str(ROOT / "plugins"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", CHILD, db_url], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    empty = {"checked": 0, "passed": 0, "quarantined": 0}
    assert got["results"] == {name: {s: empty for s in res.checked_streams}
                              for name, res in resources.RESOURCES.items()}
    assert got["heavy"] == []
