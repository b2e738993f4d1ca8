"""An extract commits per batch and records the read last: killed (SIGKILL) in the middle of
a whole read, it leaves committed partial rows but no record of a read, so nothing checks or
merges them as a whole read; its re-run clears them and stages everyone once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from pipeline import client_for, extract, merge_resource, seed_people

ROOT = Path(__file__).resolve().parents[2]
# The child stages people whole and dies after its second committed batch.
CHILD = """
import os, signal, sys
from pco_sync import church_db
from pco_sync.extract import staging
from pco_sync.pco.client import PcoClient
commit = staging.commit_batch
done = []
def commit_then_die(conn, batch, table):
    commit(conn, batch, table)
    done.append(len(batch))
    if len(done) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
staging.commit_batch = commit_then_die
client = PcoClient(sys.argv[1], sys.argv[2], sys.argv[3], backoff_base=0.01)
with church_db.connect(sys.argv[4]) as conn:
    staging.extract(client, conn, "people", "run-1")
"""


def test_a_whole_read_killed_half_way_is_no_read_and_its_rerun_starts_clean(db, db_url, sim):
    ids = seed_people(sim, 700)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}
    proc = subprocess.run([sys.executable, "-c", CHILD, sim.url, *sim.auth, db_url],
                          env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    db.rollback()
    partial = db.execute("SELECT count(*) FROM pco_staging.people WHERE run_id = 'run-1'"
                         ).fetchone()[0]
    assert 0 < partial < len(ids)  # committed batches, and no transaction left open
    assert db.execute("SELECT count(*) FROM pco_staging.extracts").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in "
                      "transaction%' AND datname = current_database() "
                      "AND pid <> pg_backend_pid()").fetchone()[0] == 0

    again = extract(client_for(sim), db_url, "people", "run-1", full_refresh=True)["people"]
    assert (again["mode"], again["records"]) == ("snapshot", len(ids))
    counts = merge_resource(db_url, "people", "run-1")["people"]
    assert counts["created"] == len(ids)
    assert db.execute("SELECT count(*), count(DISTINCT pco_id) FROM church.people").fetchone() \
        == (len(ids), len(ids))
