"""Records from the real PCO recordings (tests/recordings) through the real client,
extract, quality checks and merge. PCO itself cannot be reached from here, so a replay
server answers the client over HTTP with the recorded response bodies and headers."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from pco_sync.extract.staging import extract
from pco_sync.pco.client import PcoClient
from pco_sync.quality.validate import validate
from pipeline import merge_people

PCO = "https://api.planningcenteronline.com"
RUN = "recorded-1"


def recorded_people_pages(samples_dir) -> dict[str, dict]:
    """offset -> recorded interaction of the people list side-loading emails (two pages)."""
    doc = yaml.safe_load((samples_dir / "TestPublicRequestFunctions.test_list.yaml").read_text())
    pages = {}
    for i in doc["interactions"]:
        url = urlsplit(i["request"]["uri"])
        query = parse_qs(url.query)
        if i["request"]["method"] == "GET" and url.path == "/people/v2/people" and "include" in query:
            pages[query["offset"][0]] = i["response"]
    assert set(pages) == {"0", "25"}, "the recording changed: expected two pages"
    return pages


class Replay:
    """GET /people/v2/people?offset=N answered with the recorded page N (links pointed here)."""

    def __init__(self, pages: dict[str, dict]):
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                url = urlsplit(self.path)
                offset = parse_qs(url.query).get("offset", ["0"])[0]
                replay.requests.append(self.path)
                response = pages.get(offset) if url.path == "/people/v2/people" else None
                if response is None:
                    self.send_error(404)
                    return
                body = response["body"]["string"].replace(PCO, replay.url).encode()
                self.send_response(response["status"]["code"])
                for name, values in response["headers"].items():
                    if name.lower().startswith("x-pco-api-request-rate") or name.lower() == "content-type":
                        self.send_header(name, values[0])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def replay(samples_dir):
    pages = recorded_people_pages(samples_dir)
    r = Replay(pages)
    yield r, pages
    r.close()


def expected(pages) -> tuple[dict, set]:
    """Straight from the recorded JSON: {person id: (first, last)} and {(person id, email)}."""
    people, emails = {}, set()
    for response in pages.values():
        doc = json.loads(response["body"]["string"])
        by_key = {(x["type"], x["id"]): x for x in doc.get("included", [])}
        for p in doc["data"]:
            people[p["id"]] = (p["attributes"]["first_name"], p["attributes"]["last_name"])
            for ref in p["relationships"].get("emails", {}).get("data") or []:
                email = by_key.get((ref["type"], ref["id"]))
                if email:
                    emails.add((p["id"], email["attributes"]["address"].strip().lower()))
    return people, emails


def test_recorded_people_are_staged_checked_and_merged(replay, db):
    server, pages = replay
    people, emails = expected(pages)
    assert len(people) == 49 and emails  # what the recording holds

    client = PcoClient(server.url, "app", "secret", backoff_base=0.01)
    result = extract(client, db, "people", RUN)
    assert (result["records"], result["requests"]) == (len(people), 2)  # followed links.next

    checked = validate(db, "people", RUN)
    quarantined = {p for (p,) in db.execute("SELECT DISTINCT pco_id FROM sync.quarantine WHERE run_id = %s",
                                            (RUN,))}
    assert checked["quarantined"] == len(quarantined)
    counts = merge_people(db, RUN)
    assert counts["created"] == len(people) - len(quarantined)

    merged = {pco_id: (first, last) for pco_id, first, last in db.execute(
        "SELECT pco_id, first_name, last_name FROM church.people")}
    assert merged == {k: v for k, v in people.items() if k not in quarantined}
    merged_emails = set(db.execute(
        "SELECT p.pco_id, lower(e.address) FROM church.emails e JOIN church.people p ON p.id = e.person_id"
    ).fetchall())
    assert merged_emails == {(p, e) for p, e in emails if p not in quarantined}

    again = merge_people(db, RUN)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, len(merged))
