"""Data Docs of a run's row checks, rendered from the results stored in the church database
(sync.quality_results) with GX's own renderers: ValidationResultsPageRenderer and
DefaultJinjaPageView, the ones GX's Data Docs site builder uses. All of a run's frames (or
one stream's) are one page: the sections of each frame's validation page in turn.

The page is GX's, less what it loads from elsewhere: GX's page takes Bootstrap, jQuery,
bootstrap-table, vega, Font Awesome and its logo from CDNs, which an Airflow without internet
cannot reach and which would run a third party's script with the operator's Airflow session.
Each reference that loads something from another origin is removed (scripts, style sheets,
images, frames, CSS url()s); a stylesheet of ours (STYLE, inline, before GX's own inline
data_docs_default_styles so GX's rules still win) lays out what Bootstrap did. What GX's
scripts did, the page does without them: "Show more info..." opens its section by CSS
(:target), the "Failed Only" filter is a few lines of plain script, and Font Awesome's
success/failure icons are characters (check mark, cross). Lost: bootstrap-table's search box
and sorting, and vega charts (none of our expectations draws one). GX's newsletter footer is
dropped. GX's links into its own site layout (the index, a suite's page, the favicon) would
lead nowhere here: "Home" and the logo's place (now the words "PCO Sync") lead to the
church's PCO Sync page instead, and a suite's name is plain text.

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
    html = _own_origin(_site_links(html, home))
    html = html.replace("<title>Data documentation compiled by Great Expectations</title>",
                        f"<title>{title}</title>", 1)
    # before GX's own inline styles, which are written to override Bootstrap's
    return html.replace("<style>", STYLE + "<style>", 1)


def _site_links(html: str, home: str) -> str:
    """GX's relative links into its Data Docs site (../index.html, ../expectations/<suite>
    .html, ../static/...): home for the index, plain text for a suite, none for the rest."""
    html = re.sub(r'href="(?:\.\./)+index\.html"', f'href="{escape(home)}"', html)
    html = re.sub(r'<a href="(?:\.\./)+expectations/[^"]*"\s*>(.*?)</a>', r"\1", html,
                  flags=re.S)
    return re.sub(r'<link[^>]*href="(?:\.\./)+static/[^"]*"[^>]*>', "", html)


# A reference that makes the browser fetch from an origin of its own (scheme://host, //host).
_ELSEWHERE = r"""(?:[a-z][a-z0-9+.-]*:)?//"""
_ICONS = {"fa-check-circle": ("\u2713", "succeeded"), "fa-times": ("\u2717", "failed"),
          "fa-exclamation-triangle": ("\u26a0", "error"), "fa-question-circle": ("?", "help"),
          "fa-comment": ("\u2026", "note")}
# GX's filter, in jQuery; the same without it (Bootstrap's data-toggle="buttons" is gone too,
# so the radio buttons inside the labels show which filter is on).
_FILTER_SCRIPT = """<script>
function showAllValidations() { geFailedOnly(false); }
function hideSucceededValidations() { geFailedOnly(true); }
function geFailedOnly(on) {
  const all = (selector) => document.querySelectorAll(selector);
  all('.hide-succeeded-validation-target-child').forEach((e) => { e.parentElement.hidden = on; });
  all('.hide-succeeded-validation-target').forEach((e) => { e.hidden = on; });
  all('.hide-succeeded-validations-column-section-target-child').forEach((e) => {
    const section = e.parentElement.parentElement;
    section.hidden = on;
    all('a[href="#' + section.id + '"]').forEach((a) => { (a.closest('li') || a).hidden = on; });
  });
}
</script>"""


def _own_origin(html: str) -> str:
    """GX's page without anything it would load from another origin, and what needed those
    (icons, the logo, the jQuery filter) done with what the page has."""
    attr = lambda name: rf"""\b{name}\s*=\s*["']?\s*{_ELSEWHERE}"""  # noqa: E731
    html = re.sub(rf"<script\b[^>]*{attr('src')}[^>]*>\s*</script>\s*", "", html, flags=re.I)
    html = re.sub(rf"<link\b[^>]*{attr('href')}[^>]*>\s*", "", html, flags=re.I)
    html = re.sub(r"<img\b[^>]*\balt=\"Great Expectations\"[^>]*>", "PCO Sync", html)
    for tag, name in (("img", "src"), ("img", "srcset"), ("source", "src"), ("source", "srcset"),
                      ("iframe", "src"), ("embed", "src"), ("object", "data")):
        html = re.sub(rf"<{tag}\b[^>]*{attr(name)}[^>]*>(?:\s*</{tag}>)?", "", html, flags=re.I)
    # CSS only in <style> and style="": the same words in a value from PCO are its text
    html = re.sub(r"(<style\b[^>]*>)(.*?)(</style>)",
                  lambda m: m[1] + _own_origin_css(m[2]) + m[3], html, flags=re.S | re.I)
    html = re.sub(r"""(\sstyle\s*=\s*)("[^"]*"|'[^']*')""",
                  lambda m: m[1] + _own_origin_css(m[2]), html, flags=re.I)
    html = re.sub(r"<footer>.*?</footer>\s*", "", html, flags=re.S)  # GX's newsletter
    html = re.sub(r"<script>\s*function showAllValidations\(\).*?</script>",
                  lambda _: _FILTER_SCRIPT, html, count=1, flags=re.S)
    return re.sub(r"""<i\s+class="([^"]*\bfa-[^"]*)"[^>]*>\s*</i>""", _icon, html)


def _own_origin_css(css: str) -> str:
    css = re.sub(rf"""@import\s+(?:url\()?\s*["']?\s*{_ELSEWHERE}[^;]*;?""", "", css, flags=re.I)
    return re.sub(rf"""url\(\s*["']?\s*{_ELSEWHERE}[^)]*\)""", "none", css, flags=re.I)


def _icon(m: re.Match) -> str:
    classes = m.group(1).split()
    mark, label = next((_ICONS[c] for c in classes if c in _ICONS), ("", ""))
    if not mark:
        return ""  # a Font Awesome icon without a character of ours: nothing, not a square
    colour = " ".join(c for c in classes if c.startswith("text-"))
    return (f'<span class="ge-mark {colour}" role="img" aria-label="{label}" '
            f'title="{label}">{mark}</span>')


# What Bootstrap 4 gave GX's page, for the classes it uses: layout (rows, columns, spacing),
# tables, cards, alerts, badges, breadcrumbs, the sidebar. Dark when the browser is.
STYLE = """<style>
*,::after,::before{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
sans-serif;font-size:.9rem;line-height:1.5;color:#212529;background:#fff}
a{color:#0062cc;text-decoration:none}a:hover{text-decoration:underline}
h4,h5,h6,.h6{margin:0 0 .5rem;font-weight:500;line-height:1.2}
h4{font-size:1.35rem}h5{font-size:1.15rem}h6,.h6{font-size:1rem}
.lead{font-size:1.1rem;font-weight:300}p{margin:0 0 1rem}
code{font-size:87.5%;color:#e83e8c}
.container-fluid{width:100%;margin:0 auto;padding:0 15px}
.row{display:flex;flex-wrap:wrap;margin:0 -15px}
.row>*{position:relative;width:100%;padding:0 15px}
.row>.table-responsive{flex:1 1 100%;width:auto;min-width:0}
.col-12{flex:0 0 100%;max-width:100%}.col-6{flex:0 0 50%;max-width:50%}
@media (min-width:768px){.col-md-2{flex:0 0 16.667%;max-width:16.667%}
.col-md-10{flex:0 0 83.333%;max-width:83.333%}.pl-md-4{padding-left:1.5rem!important}}
@media (min-width:992px){.col-lg-2{flex:0 0 16.667%;max-width:16.667%;min-width:12rem}
.col-lg-10{flex:1 1 0;max-width:none}}
@media (max-width:767px){.col-6{flex-basis:100%;max-width:100%}}
.table-responsive{display:block;overflow-x:auto}
.p-0{padding:0!important}.p-1{padding:.25rem!important}.p-2{padding:.5rem!important}
.p-3{padding:1rem!important}.px-0{padding-left:0!important;padding-right:0!important}
.pt-4{padding-top:1.5rem!important}.pb-4{padding-bottom:1.5rem!important}
.pl-5{padding-left:3rem!important}.pr-5{padding-right:3rem!important}.pr-3{padding-right:1rem}
.m-0{margin:0!important}.m-2{margin:.5rem!important}.mt-1{margin-top:.25rem!important}
.mt-3{margin-top:1rem!important}.mb-1{margin-bottom:.25rem!important}
.mb-2{margin-bottom:.5rem!important}.mb-3{margin-bottom:1rem!important}
.mb-4{margin-bottom:1.5rem!important}.ml-1{margin-left:.25rem}.ml-2{margin-left:.5rem}
.mr-2{margin-right:.5rem}
.d-flex{display:flex}.align-items-center{align-items:center}
.justify-content-center{justify-content:center}
.navbar{display:flex;align-items:center;padding:.5rem 1rem}
nav.navbar.sticky-top{position:sticky;top:0;z-index:1020;background:#fff;
border-bottom:1px solid #dee2e6;height:auto!important}
.navbar-brand a{font-size:1.25rem;font-weight:600;margin-right:1rem}
.breadcrumb{display:flex;flex-wrap:wrap;list-style:none;margin:0;padding:.4rem .8rem;
border-radius:.25rem;background:#e9ecef}
.breadcrumb-item+.breadcrumb-item::before{content:"/";padding:0 .5rem;color:#6c757d}
.breadcrumb-item.active{color:#6c757d}
.nav{list-style:none;margin:0;padding:0}.nav-link{display:block;padding:.3rem .5rem}
.ge-navigation-sidebar-container{overflow:auto}
.card{display:flex;flex-direction:column;min-width:0;border:1px solid rgba(0,0,0,.125);
border-radius:.25rem;background:#fff}
.card-header{padding:.5rem .75rem;background:rgba(0,0,0,.03);
border-bottom:1px solid rgba(0,0,0,.125)}
.card-body{flex:1 1 auto;padding:1rem}.card-text{margin:0}
.btn-group{display:inline-flex;flex-wrap:wrap}
.btn{display:inline-block;padding:.25rem .45rem;cursor:pointer;white-space:nowrap;
border:1px solid #0062cc;color:#0062cc;background:#fff;font-size:.85rem}
.btn-group .btn+.btn{border-left:0}.btn input{margin:0 .3rem 0 0;vertical-align:middle}
.alert{padding:.6rem 1rem;margin-bottom:.75rem;border:1px solid transparent;
border-radius:.25rem}
.alert-secondary{color:#383d41;background:#e2e3e5;border-color:#d6d8db}
.badge{display:inline-block;padding:.2em .45em;font-size:80%;font-weight:700;line-height:1;
white-space:pre-wrap;border-radius:.25rem}
.badge-secondary{color:#fff;background:#6c757d}
.text-success{color:#1e7e34}.text-danger{color:#c82333}.text-info{color:#117a8b}
.text-warning{color:#b38600}
.ge-mark{font-size:1.25rem;font-weight:700;line-height:1}
table{border-collapse:collapse}
.table{width:100%;margin-bottom:1rem}
.table td,.table th{padding:.6rem;vertical-align:top;border-top:1px solid #dee2e6;
text-align:left}
.table thead th{vertical-align:bottom;border-bottom:2px solid #dee2e6}
.table-sm td,.table-sm th{padding:.3rem}
.table-bordered,.table-bordered td,.table-bordered th{border:1px solid #dee2e6}
/* a #fragment's element below the sticky navbar, not under it */
[id]{scroll-margin-top:4.5rem}
/* "Show more info..." links to its section: shown while it is the URL's #fragment */
.collapse:not(:target){display:none}
@media (prefers-color-scheme:dark){
body,nav.navbar.sticky-top,.card,.btn{color:#f1f1f1;background:#212529}
a{color:#6ea8fe}.card,.card-header{border-color:#495057}
.card-header{background:#2b3035}nav.navbar.sticky-top{border-color:#495057}
.breadcrumb{background:#343a40}
.alert-secondary{color:#e2e3e5;background:#41464b;border-color:#565e64}
.table td,.table th,.table thead th,.table-bordered,.table-bordered td,
.table-bordered th{border-color:#495057}
.text-success{color:#5dd879}.text-danger{color:#ff6b7a}.text-warning{color:#ffcd39}
.btn{border-color:#6ea8fe;color:#6ea8fe}}
</style>"""


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
