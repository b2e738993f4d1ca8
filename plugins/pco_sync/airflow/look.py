"""How the plugin's pages look: like the Airflow UI around them (its system font, spacing,
blue, rounded buttons, quiet tables) in light and dark. Airflow marks dark mode with the
"dark" class on its document; the frame shares its origin, so the page follows it (and
keeps following when the person switches), falling back to the browser's preference when
the page is opened on its own."""
from __future__ import annotations

STYLE = """
:root{--fg:#1a202c;--muted:#64748b;--bg:#fff;--panel:#f7f8fa;--line:#e2e8f0;
  --accent:#017cee;--accent-fg:#fff;--th:#f1f5f9;--pco:#eef6ff;--err-bg:#fdecec;
  --err-line:#f1a7a7;--ok-bg:#e9f7ef;--ok-line:#9bd3b0;--warn-bg:#fff7e0;--warn-line:#e9c46a}
:root.dark{--fg:#e2e8f0;--muted:#94a3b8;--bg:#111827;--panel:#1f2937;--line:#374151;
  --accent:#3b9bff;--accent-fg:#0b1220;--th:#1f2937;--pco:#172554;--err-bg:#3b1212;
  --err-line:#7f1d1d;--ok-bg:#0f2e1d;--ok-line:#166534;--warn-bg:#332a0a;--warn-line:#a16207}
body{font-family:Inter,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1rem;
  color:var(--fg);background:var(--bg);font-size:14px;line-height:1.45}
h2{font-size:1.25rem;font-weight:600;margin:.2rem 0 .8rem}
h3{font-size:1rem;font-weight:600;margin:1.2rem 0 .4rem}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
a.run{white-space:nowrap}
code{font-size:12.5px;background:var(--panel);padding:0 .25rem;border-radius:4px}
nav.tabs a{display:inline-block;padding:.35rem .75rem;margin:0 .3rem .4rem 0;
  border:1px solid var(--line);border-radius:6px;color:var(--fg)}
nav.tabs a.on{background:var(--accent);border-color:var(--accent);color:var(--accent-fg)}
nav.tabs a:hover{text-decoration:none;border-color:var(--accent)}
.count{font-weight:600}.zero{color:var(--muted)}.muted{color:var(--muted)}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:13px;margin:.3rem 0}
th,td{border-bottom:1px solid var(--line);padding:.35rem .6rem;vertical-align:top;
  text-align:left}
th{background:var(--th);font-weight:600}tr.record th{background:var(--pco)}
table.counts td{text-align:right;white-space:nowrap}
td.status{color:var(--muted);font-style:italic;text-align:left}
button{font:inherit;font-size:12.5px;margin:1px;padding:.2rem .6rem;cursor:pointer;
  border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
button:hover{border-color:var(--accent);color:var(--accent)}
#sync-now{background:var(--accent);border-color:var(--accent);color:var(--accent-fg)}
a.connect{display:inline-block;font-size:12.5px;margin:1px;padding:.2rem .6rem;
  border-radius:6px;background:var(--accent);color:var(--accent-fg)}
a.connect:hover{text-decoration:none;opacity:.9}
input[type=text],select{font:inherit;font-size:12.5px;padding:.15rem .35rem;
  border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
input[type=text]{width:9rem}
.bar{margin:.5rem 0;padding:.5rem .7rem;background:var(--panel);border:1px solid var(--line);
  border-radius:8px}
.notice{padding:.55rem .8rem;margin:.5rem 0;border:1px solid var(--line);border-radius:8px;
  background:var(--panel)}
.error{background:var(--err-bg);border-color:var(--err-line)}
.ok{background:var(--ok-bg);border-color:var(--ok-line)}
.banner{background:var(--warn-bg);border:1px solid var(--warn-line);padding:.55rem .8rem;
  margin:.5rem 0;border-radius:8px}
.cards{display:flex;gap:.6rem;flex-wrap:wrap}
.card{border:1px solid var(--line);border-radius:8px;padding:.5rem .7rem;min-width:14rem}
.card.pco{background:var(--pco)}
pre{max-width:60rem;max-height:20rem;overflow:auto;background:var(--panel);padding:.5rem;
  border-radius:6px}
ul.read{margin:.2rem 0 .6rem;padding-left:1.2rem}
"""

THEME = """
(function () {
  const root = document.documentElement;
  function follow() {
    let dark = window.matchMedia && matchMedia('(prefers-color-scheme: dark)').matches;
    try {
      const ui = window.top.document.documentElement;
      if (window.top !== window) dark = ui.classList.contains('dark');
    } catch (e) {}
    root.classList.toggle('dark', dark);
  }
  follow();
  try {
    if (window.top !== window) new MutationObserver(follow).observe(
      window.top.document.documentElement, {attributes: true, attributeFilter: ['class']});
  } catch (e) {}
})();
"""


def head() -> str:
    """The style sheet and the theme script, for a page's <head>."""
    return "<style>" + STYLE + "</style><script>" + THEME + "</script>"
