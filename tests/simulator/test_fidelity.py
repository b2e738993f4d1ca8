"""Every recorded real-PCO interaction, replayed against the simulator loaded with the
recorded records: the answers must have the recorded structure.

Compared: status, top-level keys, per record the type, attribute names and JSON types,
relationship names, links keys, meta keys (and counts), included types and count, the
rate-limit and content-type headers. Differences that come from the recordings being made
under an older API version are listed below with their reason; nothing is skipped silently.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from pco_simulator import SimConfig, Simulator
from pco_simulator.schema import RESOURCES

# The first table of a type: Services' Person (table services_people) shares the type name
# with People's Person, and the recordings are People's.
TABLE_BY_TYPE: dict[str, str] = {}
for _res in RESOURCES.values():
    TABLE_BY_TYPE.setdefault(_res.type, _res.table)

# What the simulator answers beyond the recordings, and why.
NEWER_THAN_RECORDING = {
    ("Person", "attributes", "accounting_administrator"):
        "added to People after 2018-03; present in the 2019 recordings, absent in the 2018 ones",
    ("Person", "attributes", "passed_background_check"):
        "added to People after 2018-03; present in the 2019 recordings, absent in the 2018 ones",
    ("Person", "relationships", "primary_campus"):
        "Campus relationship rendered on every Person since 2019; the 2018 recordings predate it",
    ("Email", "attributes", "blocked"):
        "Email.blocked was added after these recordings (People 2019+)",
}
# Keys a recording shows that carry no meaning (the pypco README warns of odd link keys).
IGNORED_RECORDED_LINKS = {"", "apps", "connected_people", "field_data", "inactive_reason",
                          "marital_status", "message_groups", "messages", "name_prefix",
                          "name_suffix", "notes", "organization", "person_apps",
                          "platform_notifications", "primary_campus", "school",
                          "social_profiles", "workflow_cards", "household_memberships",
                          "households", "addresses", "emails", "phone_numbers"}
# Lists whose size in the simulator differs from the recording, and why; for these the
# recorded records must all be present instead of the counts matching.
GROWN_SINCE_RECORDING = {
    "/webhooks/v2/available_events":
        "PCO added household, address, person_merger and Groups events after 2019",
}
RATE_HEADERS = ("X-PCO-API-Request-Rate-Limit", "X-PCO-API-Request-Rate-Period",
                "X-PCO-API-Request-Rate-Count")
SERVED = re.compile(r"^/(people|groups|calendar|services|webhooks)/v2")


def cassettes(samples: Path):
    return sorted(samples.glob("*.yaml"))


def recorded_resources(interactions) -> dict[tuple[str, str], dict]:
    out: dict = {}
    for it in interactions:
        text = it["response"]["body"]["string"]
        if not text:
            continue
        doc = json.loads(text)
        data = doc.get("data")
        for rec in (data if isinstance(data, list) else [data]) + doc.get("included", []):
            if rec and rec.get("type") in TABLE_BY_TYPE:
                out[(rec["type"], rec["id"])] = rec
    return out


def created_ids(interactions) -> set[str]:
    ids = set()
    for it in interactions:
        if it["request"]["method"] == "POST" and it["response"]["body"]["string"]:
            ids.add(json.loads(it["response"]["body"]["string"])["data"]["id"])
    return ids


def preload(sim: Simulator, interactions) -> None:
    """Put every recorded record the replay does not create itself into the store."""
    skip = created_ids(interactions)
    for (typ, rid), rec in recorded_resources(interactions).items():
        if rid in skip or typ in ("Household", "AvailableEvent"):
            continue
        values = {k: v for k, v in rec["attributes"].items() if k not in ("name",)}
        if "street" in values:  # recorded before the street_line_1/2 split
            values["street_line_1"] = values.pop("street")
        for rel, body in (rec.get("relationships") or {}).items():
            if rel == "person" and body.get("data"):
                values["person_id"] = body["data"]["id"]
        sim.store.insert(TABLE_BY_TYPE[typ], {"id": rid, **values}, emit=False)
    # People created by a POST in the recording that a later GET lists by id are made
    # by the replay; anything referenced but never recorded whole cannot be loaded.


def json_type(v) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}[type(v)]


def compare_record(rec: dict, got: dict, where: str, single: bool) -> list[str]:
    problems = []
    if rec["type"] != got["type"]:
        return [f"{where}: type {got['type']} != recorded {rec['type']}"]
    t = rec["type"]
    ra, ga = rec.get("attributes", {}), got.get("attributes", {})
    for name in ra.keys() - ga.keys():
        problems.append(f"{where}: attribute {name} missing")
    for name in ga.keys() - ra.keys():
        if (t, "attributes", name) not in NEWER_THAN_RECORDING:
            problems.append(f"{where}: unexpected attribute {name}")
    for name in ra.keys() & ga.keys():
        a, b = json_type(ra[name]), json_type(ga[name])
        if a != b and "null" not in (a, b):
            problems.append(f"{where}: attribute {name} is {b}, recorded {a}")
    rr, gr = set(rec.get("relationships") or {}), set(got.get("relationships") or {})
    for name in rr - gr:
        problems.append(f"{where}: relationship {name} missing")
    for name in gr - rr:
        if (t, "relationships", name) not in NEWER_THAN_RECORDING:
            problems.append(f"{where}: unexpected relationship {name}")
    rl = set(rec.get("links") or {}) - (IGNORED_RECORDED_LINKS if single else set())
    gl = set(got.get("links") or {})
    if not rl <= gl:
        problems.append(f"{where}: links {sorted(rl - gl)} missing")
    if not single and gl != rl:
        problems.append(f"{where}: list links {sorted(gl)} != recorded {sorted(rl)}")
    return problems


def compare(recorded: dict, got: dict) -> list[str]:
    problems = []
    if recorded.keys() != got.keys():
        problems.append(f"top-level keys {sorted(got)} != recorded {sorted(recorded)}")
    if "links" in recorded and recorded["links"].keys() != got.get("links", {}).keys():
        problems.append(f"links {sorted(got.get('links', {}))} != {sorted(recorded['links'])}")
    rm, gm = recorded.get("meta", {}), got.get("meta", {})
    if rm.keys() != gm.keys():
        problems.append(f"meta keys {sorted(gm)} != recorded {sorted(rm)}")
    for key in ("total_count", "count", "next", "prev"):
        if key in rm and rm[key] != gm.get(key):
            problems.append(f"meta.{key} {gm.get(key)} != recorded {rm[key]}")
    rd, gd = recorded.get("data"), got.get("data")
    if isinstance(rd, list):
        if not isinstance(gd, list) or len(gd) != len(rd):
            problems.append(f"data: {len(gd or [])} records, recorded {len(rd)}")
        else:
            for i, (a, b) in enumerate(zip(rd, gd)):
                problems += compare_record(a, b, f"data[{i}]", single=False)
    elif rd is not None:
        problems += compare_record(rd, gd, "data", single=True)
    ri, gi = recorded.get("included", []), got.get("included", [])
    if sorted(x["type"] for x in ri) != sorted(x["type"] for x in gi):
        problems.append(f"included types {[x['type'] for x in gi]} != recorded "
                        f"{[x['type'] for x in ri]}")
    else:
        by_id = {(x["type"], x["id"]): x for x in gi}
        for x in ri:
            if (x["type"], x["id"]) in by_id:
                problems += compare_record(x, by_id[(x["type"], x["id"])],
                                           f"included {x['type']} {x['id']}", single=False)
    return problems


def superset(session, url: str, recorded: dict) -> list[str]:
    """Every recorded record is in the simulator's (longer) list, with the same shape."""
    got, page = {}, url + "?per_page=100"
    while page:
        doc = session.get(page).json()
        got.update({(r["type"], r["id"]): r for r in doc["data"]})
        page = doc["links"].get("next")
    problems = []
    for rec in recorded["data"]:
        mine = got.get((rec["type"], rec["id"]))
        if mine is None:
            problems.append(f"{rec['type']} {rec['id']} ({rec['attributes']}) missing")
        else:
            problems += compare_record(rec, mine, f"{rec['type']} {rec['id']}", single=False)
            if mine["attributes"] != rec["attributes"]:
                problems.append(f"{rec['id']}: {mine['attributes']} != {rec['attributes']}")
    return problems


def replay(samples: Path, name: str) -> list[str]:
    interactions = yaml.safe_load((samples / name).read_text())["interactions"]
    problems: list[str] = []
    with Simulator(SimConfig(rate_limit=1000)) as sim:
        preload(sim, interactions)
        ids: dict[str, str] = {}
        s = requests.Session()
        s.auth = sim.auth
        for n, it in enumerate(interactions):
            rq, rs = it["request"], it["response"]
            uri = urlsplit(rq["uri"])
            if not SERVED.match(uri.path):
                continue
            target = uri.path + (f"?{uri.query}" if uri.query else "")
            body = rq.get("body")
            for old, new in ids.items():
                target = target.replace(old, new)
                body = body.replace(f'"{old}"', f'"{new}"') if body else body
            resp = s.request(rq["method"], sim.url + target, data=body,
                             headers={"X-PCO-API-Version": "2018-08-01",
                                      "Content-Type": "application/json"})
            tag = f"{name} #{n} {rq['method']} {uri.path}"
            if resp.status_code != rs["status"]["code"]:
                problems.append(f"{tag}: status {resp.status_code} != {rs['status']['code']}: "
                                f"{resp.text[:200]}")
                continue
            for h in RATE_HEADERS:
                if h in rs["headers"] and h not in resp.headers:
                    problems.append(f"{tag}: header {h} missing")
            recorded_text = rs["body"]["string"]
            if not recorded_text:
                if resp.content:
                    problems.append(f"{tag}: body should be empty")
                continue
            ctype = resp.headers.get("Content-Type", "")
            if not ctype.startswith("application/vnd.api+json"):
                problems.append(f"{tag}: content-type {ctype}")
            recorded, got = json.loads(recorded_text), resp.json()
            if rq["method"] == "POST":
                ids[recorded["data"]["id"]] = got["data"]["id"]
            if uri.path in GROWN_SINCE_RECORDING:
                problems += [f"{tag}: {p}" for p in superset(s, sim.url + uri.path, recorded)]
                continue
            problems += [f"{tag}: {p}" for p in compare(recorded, got)]
    return problems


@pytest.mark.parametrize("name", [
    "TestPublicRequestFunctions.test_get.yaml",
    "TestPublicRequestFunctions.test_list.yaml",
    "v0_TestModels.test_create.yaml",
    "v0_TestModels.test_relationship_create.yaml",
    "v0_TestModels.test_add_on_new_object.yaml",
    "v0_TestWebhooks.test_available_events_list.yaml",
])
def test_recorded_interaction_shapes(samples_dir, name):
    assert (samples_dir / name).exists()
    problems = replay(samples_dir, name)
    assert not problems, "\n".join(problems)


def test_every_recording_is_checked(samples_dir):
    """A new recording dropped into shared/pco-samples must be added to the list above."""
    listed = {p.name for p in cassettes(samples_dir)}
    checked = set(test_recorded_interaction_shapes.pytestmark[0].args[1])
    assert listed == checked


def test_listed_differences_are_real():
    """Each listed difference must still be one: the simulator renders it."""
    for (typ, part, name), reason in NEWER_THAN_RECORDING.items():
        res = RESOURCES[TABLE_BY_TYPE[typ]]
        present = name in res.attributes if part == "attributes" else name in res.to_one
        assert present and reason
