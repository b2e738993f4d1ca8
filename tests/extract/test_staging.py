"""Extract against the simulator over real HTTP into the real test database: what lands in
pco_staging, how many requests it took, windows with their overlap, re-runs replacing."""
from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import requests

from pco_sync.extract.staging import extract
from pco_sync.pco import resources
from pco_sync.pco.resources import window
from pipeline import BASE, client_for, seed_people

def staged(db, stream: str, run_id: str) -> dict[str, dict]:
    rows = db.execute(f"SELECT pco_id, record FROM pco_staging.{stream} WHERE run_id = %s",
                      (run_id,)).fetchall()
    return {pco_id: record for pco_id, record in rows}


def test_full_extract_stages_every_person_with_contacts_in_ideal_requests(seeded_sim, db):
    store = seeded_sim.store
    client = client_for(seeded_sim)
    result = extract(client, db, "people", "run-full")

    n = len(store.tables["people"])
    assert result == {"stream": "people", "mode": "snapshot", "records": n,
                      "requests": math.ceil(n / 100)}
    rows = staged(db, "people", "run-full")
    assert set(rows) == set(store.tables["people"])
    for kind in ("emails", "phone_numbers", "addresses"):
        want = {pid: sorted(c["id"] for c in store.children(kind, "person_id", pid))
                for pid in rows}
        got = {pid: sorted(c["id"] for c in rec["included"][kind]) for pid, rec in rows.items()}
        assert got == want, kind
        assert sum(map(len, got.values())) > 0, kind
    person = next(iter(rows.values()))
    assert person["type"] == "Person" and "attributes" in person and "relationships" in person
    # pco_updated_at is PCO's updated_at, parsed
    mismatched = db.execute(
        "SELECT count(*) FROM pco_staging.people WHERE run_id = 'run-full' "
        "AND pco_updated_at IS DISTINCT FROM (record->'attributes'->>'updated_at')::timestamptz"
    ).fetchone()[0]
    assert mismatched == 0
    log = db.execute("SELECT mode, window_start, records, requests FROM pco_staging.extracts "
                     "WHERE run_id = 'run-full' AND stream = 'people'").fetchone()
    assert log == ("snapshot", None, n, math.ceil(n / 100))


def test_window_pulls_only_people_updated_in_start_minus_overlap_to_end(sim, db):
    ids = seed_people(sim, 300)
    start, end = BASE + timedelta(minutes=100), BASE + timedelta(minutes=160)
    client = client_for(sim)
    result = extract(client, db, "people", "run-w", window(start, end))

    overlap = int(resources.OVERLAP.total_seconds() // 60)
    want = set(ids[100 - overlap:160])  # gte start - overlap, lt end: person 160 is out
    assert set(staged(db, "people", "run-w")) == want
    assert result["mode"] == "window" and result["records"] == len(want)
    sent = [r for r in sim.sim.requests if r["path"] == "/people/v2/people"]
    assert "where[updated_at][gte]=2024-01-01T01:35:00Z" in requests.utils.unquote(
        sent[0]["query"])
    log = db.execute("SELECT mode, window_start, window_end FROM pco_staging.extracts "
                     "WHERE run_id = 'run-w'").fetchone()
    assert log == ("window", start, end)


def test_window_sees_people_edited_through_pco_ui(sim, db):
    ids = seed_people(sim, 120)
    admin = sim.url + "/__admin/records"
    edited = [ids[3], ids[50], ids[119]]
    for pid in edited:
        r = requests.patch(f"{admin}/people/{pid}", json={"last_name": "Edited"})
        r.raise_for_status()
    # a contact edit bumps its person too
    requests.patch(f"{admin}/emails/{20_000_001 + 7}", json={"address": "new@x.org"}
                   ).raise_for_status()
    now = sim.store.now()
    extract(client_for(sim), db, "people", "run-e",
            window(now - timedelta(minutes=15), now + timedelta(seconds=1)))
    rows = staged(db, "people", "run-e")
    assert set(rows) == set(edited) | {ids[7]}
    assert rows[ids[7]]["included"]["emails"][0]["attributes"]["address"] == "new@x.org"


def test_rerun_of_same_run_replaces_its_rows_and_leaves_other_runs(sim, db):
    ids = seed_people(sim, 150)
    client = client_for(sim)
    extract(client, db, "people", "run-a")
    extract(client, db, "people", "run-b")
    sim.store.delete_person(ids[10])
    again = extract(client, db, "people", "run-a")
    assert again["records"] == 149
    assert set(staged(db, "people", "run-a")) == set(ids) - {ids[10]}
    assert len(staged(db, "people", "run-b")) == 150
    assert db.execute("SELECT count(*) FROM pco_staging.extracts").fetchone()[0] == 2
    assert db.execute("SELECT records FROM pco_staging.extracts WHERE run_id = 'run-a'"
                      ).fetchone()[0] == 149


def test_records_read_twice_collapse_to_one_row_per_person(sim, db):
    """A client that re-windows every 100 records re-reads the seam: still one row each."""
    ids = seed_people(sim, 350)
    client = client_for(sim, max_offset=100)
    result = extract(client, db, "people", "run-d")
    rewindowed = [r for r in sim.sim.requests if "gte" in requests.utils.unquote(r["query"])]
    assert rewindowed  # the scan restarted from the last updated_at seen, re-reading the seam
    assert result["records"] == 350
    assert set(staged(db, "people", "run-d")) == set(ids)


def test_duplicate_ids_keep_the_newest_updated_at(db):
    class Pages:  # a client whose one page holds the same person twice, older one last
        class stats:
            requests = 0

        def records(self, path, params):
            self.stats.requests += 1
            for name, at in (("New", "2025-02-01T00:00:00Z"), ("Old", "2025-01-01T00:00:00Z")):
                yield {"type": "Person", "id": "42", "attributes": {
                    "first_name": name, "updated_at": at}}, {}

    result = extract(Pages(), db, "people", "run-dup")
    assert result["records"] == 1
    assert staged(db, "people", "run-dup")["42"]["attributes"]["first_name"] == "New"


def test_households_snapshot_includes_members(seeded_sim, db):
    store = seeded_sim.store
    # households have no time filter: even a windowed read is a snapshot
    result = extract(client_for(seeded_sim), db, "households", "run-h",
                     window(BASE, BASE + timedelta(minutes=15)))
    n = len(store.tables["households"])
    assert result == {"stream": "households", "mode": "snapshot", "records": n,
                      "requests": math.ceil(n / 100)}
    rows = staged(db, "households", "run-h")
    members = Counter()
    for hm in store.tables["household_memberships"].values():
        members[hm["household_id"]] += 1
    for hid, rec in rows.items():
        got = sorted(p["id"] for p in rec["included"]["people"])
        want = sorted(hm["person_id"] for hm in
                      store.children("household_memberships", "household_id", hid))
        assert got == want
        assert all(p["type"] == "Person" for p in rec["included"]["people"])
    assert sum(members.values()) > n  # most households have more than one member


def test_old_street_addresses_load(seeded_sim, db):
    client = client_for(seeded_sim, versions={"people": "2020-01-29"})
    extract(client, db, "people", "run-old")
    addresses = [a for rec in staged(db, "people", "run-old").values()
                 for a in rec["included"]["addresses"]]
    assert addresses
    assert all("street" in a["attributes"] and "street_line_1" not in a["attributes"]
               for a in addresses)


def test_awkward_characters_load_without_crashing(sim, db):
    ids = seed_people(sim, 3)
    sim.store.update("people", ids[0], {"first_name": "nul\x00byte"}, emit=False)
    sim.store.update("people", ids[1], {"first_name": "Zoë 李 👪 '; DROP TABLE x; --\t\n"},
                     emit=False)
    sim.store.update("people", ids[2], {"last_name": "half\ud800pair"}, emit=False)
    result = extract(client_for(sim), db, "people", "run-x")
    assert result["records"] == 3
    rows = staged(db, "people", "run-x")
    assert rows[ids[0]]["attributes"]["first_name"] == "nul\ufffdbyte"
    assert rows[ids[1]]["attributes"]["first_name"] == "Zoë 李 👪 '; DROP TABLE x; --\t\n"
    assert rows[ids[2]]["attributes"]["last_name"] == "half\ufffdpair"
