"""Links that leave Airflow's frame. The UI shows a plugin page in an iframe sandboxed with
"allow-scripts allow-same-origin allow-forms allow-downloads": no popups and no top-level
navigation, so a link with target _blank (Data Docs, "open in PCO") or _top (a run in
Airflow's UI, the PCO Sync page from a run's tab) does nothing there. The frame shares the
UI's origin, so the page's script follows such a link from the UI's own document instead,
where the sandbox does not apply; the click's user activation reaches that document too,
so the browser lets the new tab open. Outside a frame the links work as written.
"""
from __future__ import annotations

SCRIPT = """
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[href][target]');
  if (!link || event.defaultPrevented || window.top === window) return;
  if (link.target !== '_top' && link.target !== '_blank') return;
  let ui;
  try { ui = window.top.document; } catch (e) { return; }  /* another origin: leave it */
  event.preventDefault();
  const a = ui.createElement('a');
  a.href = link.href;
  a.target = link.target === '_blank' ? '_blank' : '_self';
  if (link.target === '_blank') a.rel = 'noopener';
  a.hidden = true;
  ui.body.appendChild(a);
  a.click();
  a.remove();
});
"""


def script_tag() -> str:
    return "<script>" + SCRIPT + "</script>"
