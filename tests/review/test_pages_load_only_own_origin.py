"""Issue 19, item 4: no page served under /pco-sync/ loads a script, style sheet, font, image or
frame from an origin other than the deployment's own (an Airflow without internet would show
a broken page, and a third party's script would run with the operator's Airflow session).
Links a person clicks (<a href>: "open in PCO") may point anywhere.

Every page is rendered from a church database with open items of each kind the test data
gives and a run's quality results, and its HTML is parsed for each reference that loads
something."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from pco_sync import summary
from pco_sync.airflow import review_page, summary_page
from pco_sync.quality import docs
from pco_sync.review import queries
from pipeline import sync
from review_helpers import conflict_and_review, odd_email_person

BASE = "/pco-sync/review/pco_sync"
RUN = "run-2"

# A URL that names an origin of its own: scheme://host or a scheme-relative //host.
ELSEWHERE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)
# <link rel=...> values that only name another page (nothing is fetched for them).
NAVIGATION_RELS = {"alternate", "author", "bookmark", "canonical", "help", "license", "next",
                   "prev", "search"}
# Attributes whose URL the browser fetches as it renders the element.
LOADS = {"script": ("src",), "img": ("src", "srcset"), "source": ("src", "srcset"),
         "iframe": ("src",), "frame": ("src",), "embed": ("src",), "object": ("data",),
         "audio": ("src",), "video": ("src", "poster"), "track": ("src",),
         "input": ("src",), "image": ("href", "xlink:href"), "use": ("href", "xlink:href"),
         "body": ("background",), "table": ("background",), "td": ("background",)}
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.I | re.S)


class Loads(HTMLParser):
    """Each (where, URL) the page would fetch: element attributes, <style> and style=""."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in LOADS.get(tag, ()):
            for url in _urls(name, attrs.get(name)):
                self.found.append((f"<{tag} {name}>", url))
        if tag == "link":
            rels = set((attrs.get("rel") or "").lower().split())
            if not rels or rels - NAVIGATION_RELS:  # stylesheet, icon, preload, preconnect...
                for name in ("href", "imagesrcset"):
                    for url in _urls(name, attrs.get(name)):
                        self.found.append((f"<link rel={' '.join(sorted(rels))} {name}>", url))
        if attrs.get("style"):
            self.found += [(f"<{tag} style>", url) for url in _css_urls(attrs["style"])]
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.found += [("<style>", url) for url in _css_urls(data)]


def _urls(name: str, value: str | None) -> list[str]:
    if not value:
        return []
    if name.endswith("srcset"):  # "url 2x, url 640w"
        return [part.split()[0] for part in value.split(",") if part.split()]
    return [value]


def _css_urls(css: str) -> list[str]:
    # @font-face's src: url(...) is one of these url()s
    return [m.group(2) or m.group(4) or "" for m in CSS_URL.finditer(css)]


def elsewhere(html: str) -> list[tuple[str, str]]:
    parser = Loads()
    parser.feed(html)
    parser.close()
    return [(where, url) for where, url in parser.found if ELSEWHERE.match(url)]


def test_the_parser_finds_each_kind_of_reference():
    page = ("<link rel='stylesheet' href='https://cdn.example/b.css'>"
            "<link rel='canonical' href='https://example.org/'>"
            "<script src='//cdn.example/j.js'></script><img srcset='/a.png 1x, http://x/b.png 2x'>"
            "<style>@import 'https://f.example/i.css';@font-face{src:url(https://f.example/f.woff)}"
            ".x{background:url('/own.png')}</style><div style='background:url(\"http://i/x\")'>"
            "<iframe src='https://frame.example/'></iframe><object data='https://o/x'></object>"
            "<a href='https://people.planningcenteronline.com/people/1'>open in PCO</a>")
    assert [url for _, url in elsewhere(page)] == [
        "https://cdn.example/b.css", "//cdn.example/j.js", "http://x/b.png",
        "https://f.example/i.css", "https://f.example/f.woff", "http://i/x",
        "https://frame.example/", "https://o/x"]


@pytest.fixture
def pages(db, db_url, sim):
    """{name: HTML} of every page the plugin serves, from a database with open conflicts,
    match reviews, a quarantined contact and run RUN's quality results (one check failed)."""
    conflict_and_review(db, db_url, sim)
    odd_email_person(sim)
    counts = sync(sim, db_url, RUN, ("people",))
    counts.pop("extracted")
    db.commit()
    open_counts = queries.counts(db)
    out = {}
    for kind, _, _ in queries.KINDS:
        items = queries.items(db, kind)
        out[f"review {kind} ({len(items)} items)"] = review_page.render(
            BASE, "pco_sync", open_counts, kind, items, {"names": "pco_wins"},
            backlog={"waiting": 2, "failing": 1, "last_error": "boom", "oldest": "2026-01-01"})
    out["history"] = review_page.render_history(BASE, "pco_sync", queries.history(db), "all")
    out["churches"] = review_page.render_churches([("Grace", "pco_sync__grace", "/g")],
                                                  [("pco_sync__faith", "unknown field")])
    out["not synced"] = review_page.render_not_synced("pco_sync", [], False)
    out["not migrated"] = review_page.render_not_synced("pco_sync", ["0042_x.sql"], True)
    run = {"state": "success", "conf": {"full_refresh": True}, "data_interval": (None, None),
           "summary": counts, "open_items": summary.open_items(db, RUN), "read": None,
           "tasks": {"validate.people": "failed"}}
    out["sync summary"] = summary_page.render("pco_sync", RUN, run, BASE,
                                              f"{BASE}/quality?run_id={RUN}")
    out["sync summary, no run"] = summary_page.render("pco_sync", "nope", None)
    for listed in docs.runs(db):
        out[f"Data Docs {listed['run_id']}"] = docs.render(db, listed["run_id"], home=BASE)
        for stream in listed["streams"]:
            out[f"Data Docs {listed['run_id']} {stream}"] = docs.render(
                db, listed["run_id"], stream, home=BASE)
    return out


def test_no_page_loads_anything_from_another_origin(pages):
    assert any(k.startswith("Data Docs") for k in pages)
    assert "quarantine (1 items)" in " ".join(pages)  # the failed check's record is open
    found = [f"{name}: {where} {url}" for name, html in pages.items()
             for where, url in elsewhere(html)]
    assert not found, "loaded from another origin:\n" + "\n".join(found)


def test_data_docs_stay_complete_without_anything_from_elsewhere(pages):
    page = pages[f"Data Docs {RUN}"]
    # GX marks each expectation with a Font Awesome icon: a character of its own instead
    assert "fa-check-circle" not in page and "fa-times" not in page
    assert "\u2713" in page and "\u2717" in page
    assert "Show more info" in page and "Table of Contents" in page
    assert "greatexpectations.io" not in page and "<footer" not in page
    # nothing a person needs is left for a script that is not there
    assert not re.search(r"\$\(|jQuery|vegaEmbed|bootstrapTable", page)
