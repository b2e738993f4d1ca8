"""Data Docs of a run's row checks, rendered from the results stored in the church database
(sync.quality_results) with GX's own renderers: ValidationResultsPageRenderer and
DefaultJinjaPageView, the ones GX's Data Docs site builder uses. All of a run's frames (or
one stream's) are one page: the sections of each frame's validation page in turn.

The page is GX's: its stylesheet (data_docs_default_styles.css) is inline, but Bootstrap,
jQuery, Font Awesome and the GX logo come from CDNs; offline the page is plain but complete
(every table and value is in the HTML). GX's links into its own site layout (the index, a
suite's page, the favicon) would lead nowhere here: "Home" and the logo lead to the church's
PCO Sync page instead, and a suite's name is plain text.

GX's views escape the values they put in sentences, not the cells of the unexpected-value
tables nor the page title: a value from PCO (a status "<script>...") or a run id is escaped
here before GX renders it.

Great Expectations is imported inside the functions (seconds to import).
"""
from __future__ import annotations

import re
from html import escape

from pco_sync import sqlfiles
from pco_sync.errors import NoQualityResults


def runs(conn, limit: int = 100) -> list[dict]:
    """The runs with results, latest first: run_id, validated_at, success, streams,
    evaluated and failed (expectations)."""
    cur = conn.execute(sqlfiles.read("quality/results_runs.sql"), {"limit": limit})
    names = [d.name for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def render(conn, run_id: str, stream: str | None = None, home: str = "#") -> str:
    """The Data Docs page (HTML) of run `run_id`'s validation results, of every stream it
    validated or of `stream` only, its "Home" linking to `home`. Raises NoQualityResults
    when none are stored."""
    rows = conn.execute(sqlfiles.read("quality/results_of_run.sql"),
                        {"run_id": run_id, "stream": stream}).fetchall()
    if not rows:
        raise NoQualityResults(f"no quality results stored for run {run_id!r}"
                               + (f", stream {stream!r}" if stream else ""))
    from great_expectations.core.expectation_validation_result import (
        expectationSuiteValidationResultSchema)
    from great_expectations.render import RenderedDocumentContent
    from great_expectations.render.renderer.page_renderer import ValidationResultsPageRenderer
    from great_expectations.render.view.view import DefaultJinjaPageView

    renderer = ValidationResultsPageRenderer()
    sections = []
    for stream_name, frame, _, _, result, _ in rows:
        page = renderer.render(expectationSuiteValidationResultSchema.load(_escaped(result)))
        overview, *columns = page.sections
        # The table of contents lists sections by name: name each frame's overview after it
        overview.section_name = f"{stream_name}: {frame}" if stream_name != frame else frame
        sections += [overview, *columns]
    title = escape(f"Validations / {run_id}" + (f" / {stream}" if stream else ""))
    document = RenderedDocumentContent(
        renderer_type="ValidationResultsPageRenderer", page_title=title, sections=sections,
        expectation_suite_name=rows[0][2], utm_medium="validation-results-page")
    html = DefaultJinjaPageView().render(document, show_how_to_buttons=False)
    return _site_links(html, home).replace("</head>", OFFLINE_STYLE + "</head>", 1)


def _site_links(html: str, home: str) -> str:
    """GX's relative links into its Data Docs site (../index.html, ../expectations/<suite>
    .html, ../static/...): home for the index, plain text for a suite, none for the rest."""
    html = re.sub(r'href="(?:\.\./)+index\.html"', f'href="{escape(home)}"', html)
    html = re.sub(r'<a href="(?:\.\./)+expectations/[^"]*"\s*>(.*?)</a>', r"\1", html,
                  flags=re.S)
    return re.sub(r'<link[^>]*href="(?:\.\./)+static/[^"]*"[^>]*>', "", html)


# GX's layout comes from CDN stylesheets, which an offline deployment cannot load: enough of a
# layout to read the page (the CDN's rules win where they do load).
OFFLINE_STYLE = (
    "<style>body{font-family:system-ui,sans-serif;font-size:14px;margin:1rem 2rem;color:#222}"
    "table{border-collapse:collapse;margin:.3rem 0 .8rem}"
    "th,td{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top}"
    "h1,h2,h3,h4,h5{font-size:1rem;margin:1.2rem 0 .3rem}img{max-height:2rem}"
    "ul{margin:.2rem 0}</style>")


def _escaped(result: dict) -> dict:
    """The stored result with what came from PCO or a person (unexpected values, the run
    name) HTML-escaped."""
    text = lambda v: escape(v) if isinstance(v, str) else v  # noqa: E731
    for r in result["results"]:
        got = r["result"]
        if "partial_unexpected_list" in got:
            got["partial_unexpected_list"] = [text(v) for v in got["partial_unexpected_list"]]
        for c in got.get("partial_unexpected_counts") or []:
            c["value"] = text(c["value"])
        if "partial_unexpected_index_list" in got:
            got["partial_unexpected_index_list"] = [{k: text(v) for k, v in row.items()}
                                                    for row in got["partial_unexpected_index_list"]]
    run = result["meta"].get("run_id") or {}
    if "run_name" in run:
        run["run_name"] = text(run["run_name"])
    return result
