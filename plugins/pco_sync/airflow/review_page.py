"""The "PCO Sync" page: what needs a person, one tab per kind with its count, and the
buttons that settle it. Plain HTML from plain data (pco_sync.review.queries), so it is
tested without a server; the buttons call the page's JSON API (review_api) from a small
script, and reload the page with what the church database says now.
"""
from __future__ import annotations

import json
from html import escape
from urllib.parse import quote, urlencode

from pco_sync.airflow import frame, look
from pco_sync.merge.run import POLICIES, POLICY_GROUPS
from pco_sync.review.actions import ACTIONS
from pco_sync.review.links import web_url
from pco_sync.review.queries import KINDS

SCRIPT = """
async function call(path, body, method) {
  const box = document.getElementById('notice');
  const answer = await fetch(path, {method: method || 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
  let data = {};
  try { data = await answer.json(); } catch (e) {}
  if (!answer.ok) {
    box.className = 'notice error';
    box.textContent = (data.detail && (data.detail.message || data.detail)) || answer.statusText;
    box.hidden = false;
    return null;
  }
  sessionStorage.setItem('pco_sync_notice', data.message || 'Done.');
  location.reload();
  return data;
}
function selected(kind) {
  return Array.from(document.querySelectorAll('input.pick[data-kind="' + kind + '"]:checked'))
    .map(b => Number(b.value));
}
document.addEventListener('click', (event) => {
  const b = event.target.closest('button[data-action]');
  if (!b) return;
  const kind = b.dataset.kind, action = b.dataset.action;
  let ids = b.dataset.ids ? JSON.parse(b.dataset.ids) : selected(kind);
  if (!ids.length) { alert('Tick the items first.'); return; }
  const body = {kind: kind, action: action, ids: ids};
  if (b.dataset.input) body.value = document.getElementById(b.dataset.input).value;
  if (b.dataset.value) body.value = JSON.parse(b.dataset.value);
  if (b.dataset.confirm && !confirm(b.dataset.confirm)) return;
  call(API + '/act', body);
});
window.addEventListener('load', () => {
  const text = sessionStorage.getItem('pco_sync_notice');
  if (text) { const box = document.getElementById('notice');
    box.className = 'notice ok'; box.textContent = text; box.hidden = false;
    sessionStorage.removeItem('pco_sync_notice'); }
});
"""


def render(base: str, dag_id: str, counts: dict, kind: str, items: list[dict],
           policy: dict, filters: dict | None = None,
           policy_variable: str = "pco_sync_conflict_policy", backlog: dict | None = None,
           run_dags: dict[str, tuple[str, str]] | None = None,
           pco_api: str | None = None) -> str:
    """The page for tab `kind`: `base` is the page's own URL (the plugin's prefix + dag);
    `pco_api`: the church's PCO connection's base URL ("open in PCO" leads to the simulator's
    record when it is not PCO's);
    `backlog`: the webhook inbox's (pco_sync.webhooks.inbox.backlog), shown when given;
    `run_dags`: (DAG id, Airflow run id) of each run id not the sync DAG's (a webhook
    batch's)."""
    tabs = "".join(
        f"<a href='{escape(base)}?kind={key}' class='{'on' if key == kind else ''}'>"
        f"{escape(label)} <span class='count{'' if counts.get(key) else ' zero'}'>"
        f"{counts.get(key, 0)}</span></a>" for key, label, _ in KINDS)
    total = sum(counts.values())
    head = (f"<p>{total} open item{'s need' if total != 1 else ' needs'} a person across all runs "
            f"of <code>{escape(dag_id)}</code>, newest first. "
            f"<button id='sync-now' onclick=\"call(API + '/sync-now', {{}})\">Sync now</button> "
            f"<a href='{escape(base)}/history'>Decision history</a></p>")
    if backlog:
        head = _backlog(backlog) + head
    dags = run_dags or {}
    run = lambda run_id: _run(*dags.get(run_id, (dag_id, run_id)))  # noqa: E731
    link = lambda stream, pco_id: _pco_link(stream, pco_id, pco_api)  # noqa: E731
    body = SECTIONS[kind](base, run, items, filters or {}, link)
    if kind == "conflicts":
        body += _policy_form(policy, policy_variable)
    return _page(f"PCO Sync: needs a person ({escape(dag_id)})", base,
                 head + f"<nav class='tabs'>{tabs}</nav>" + body)


def render_not_synced(dag_id: str, pending: list[str], applied_any: bool) -> str:
    """The page of a church whose database the sync has not prepared yet: before its first
    run (no church schema), or after an upgrade whose migrations its next run applies."""
    if applied_any:
        text = (f"This deployment's code brings {len(pending)} change{'s' if len(pending) != 1 else ''}"
                f" to the church database ({escape(', '.join(pending))}) that the next run of "
                f"<b>{escape(dag_id)}</b> applies. This page shows what needs a person once it "
                "has.")
    else:
        text = (f"Nothing has run yet for this church: the first run of <b>{escape(dag_id)}"
                "</b> creates the church schema and pulls everything from PCO. Start it with "
                "Trigger on the DAG's page (or wait for its schedule); what needs a person "
                "shows here after it.")
    return _page(f"PCO Sync ({escape(dag_id)})", "", f"<p class='notice'>{text}</p>")


def render_churches(churches: list[tuple[str, str, str]],
                    broken: list[tuple[str, str]] = ()) -> str:
    """The menu's page when the deployment serves several churches: (name, DAG id, page),
    and the churches.yaml entries that cannot be used: (DAG id, why)."""
    if not churches and not broken:
        return _page("PCO Sync", "", "<p>You may not read the sync DAG of any church.</p>")
    items = "".join(f"<li><a href='{escape(url)}'>{escape(name)}</a> "
                    f"<span class='muted'>(DAG {escape(dag_id)})</span></li>"
                    for name, dag_id, url in churches)
    problems = "".join(f"<li><b>{escape(dag_id)}</b>: <code>{escape(error)}</code></li>"
                       for dag_id, error in broken)
    notice = (f"<div class='notice error'><p>Not synced: these entries of churches.yaml "
              f"cannot be used (every other church runs on). Fix the entry; the DAG named "
              f"fails at once until then.</p><ul>{problems}</ul></div>" if broken else "")
    return _page("PCO Sync: churches", "",
                 f"{notice}<p>What needs a person, per church:</p><ul>{items}</ul>")


def _backlog(b: dict) -> str:
    failed = (f" {b['failing']} of them failed before and are tried again; the latest error: "
              f"<code>{escape(str(b['last_error'] or ''))[:300]}</code>." if b["failing"] else "")
    return (f"<p class='notice error'>{b['waiting']} PCO webhook deliver"
            f"{'ies wait' if b['waiting'] != 1 else 'y waits'} to be merged, the oldest since "
            f"{escape(str(b['oldest'])[:19])} UTC.{failed} The pco_sync_webhooks DAG's runs "
            "say why; the 15-minute runs still bring PCO's changes meanwhile.</p>")


def render_history(base: str, dag_id: str, rows: list[dict], what: str) -> str:
    lines = "".join(
        f"<tr><td>{escape(str(r['at'])[:19])}</td><td>{escape(r['actor'])}</td>"
        f"<td>{escape(r['action'])}</td><td>{escape(r['entity'].replace('_', ' '))} "
        f"{_named(r.get('name'), r['local_id'], r['pco_id'])}</td>"
        f"<td>{escape((r['field'] or '').replace('_', ' '))}</td><td>{_plain(r['before'])}</td>"
        f"<td>{_plain(r['after'])}</td></tr>" for r in rows)
    table = (f"<table><tr><th>when</th><th>who</th><th>what</th><th>record</th><th>field</th>"
             f"<th>before</th><th>after</th></tr>{lines}</table>" if rows
             else "<p class='muted'>No decisions yet.</p>")
    return _page(f"PCO Sync: decisions on {escape(what)}", base,
                 f"<p><a href='{escape(base)}'>Back to what needs a person</a></p>" + table)


# ---- one section per kind ------------------------------------------------------------------

def _conflicts(base, run, items, filters, link):
    form = (f"<form class='bar' method='get' action='{escape(base)}'>"
            "<input type='hidden' name='kind' value='conflicts'>Filter: "
            + _select("entity", ["", "person", "email", "phone_number", "address", "family"],
                      filters.get("entity"))
            + f" field <input type='text' name='field' value='{escape(filters.get('field') or '')}'>"
            f" name <input type='text' name='search' value='{escape(filters.get('search') or '')}'>"
            " <button type='submit'>Show</button></form>")
    if not items:
        return form + "<p class='muted'>No open conflicts.</p>"
    bulk = ("<div class='bar'>Ticked conflicts: "
            + _button("conflicts", "local", "Keep local") + _button("conflicts", "pco", "Take PCO")
            + " <span class='muted'>Keep local: PCO gets the local value at the next push. "
              "Take PCO: the church database takes PCO's value now.</span></div>")
    rows, seen = [], set()
    for c in items:
        record = (c["record_kind"], c["record_id"])
        if record not in seen:
            seen.add(record)
            ids = [x["id"] for x in items if (x["record_kind"], x["record_id"]) == record]
            link = link("people" if c["record_kind"] == "person" else "households",
                             c["record_pco_id"])
            rows.append(
                f"<tr class='record'><th colspan='8'>{escape(c['record_kind'].title())}: "
                f"{escape(c['record_name'])} {link} "
                + _history(base, c["record_kind"], local_id=c["record_id"]) +
                f" &middot; all {len(ids)}: "
                + _button("conflicts", "local", "Keep local", ids)
                + _button("conflicts", "pco", "Take PCO", ids) + "</th></tr>")
        field = (c["field"] if c["entity"] in ("person", "family")
                 else f"{c['entity']} {c['field']}").replace("_", " ")
        box = f"value-{c['id']}"
        rows.append(
            f"<tr><td><input type='checkbox' class='pick' data-kind='conflicts' value='{c['id']}'></td>"
            f"<td>{escape(field)}</td><td>{_v(c['agreed_value'])}</td><td>{_v(c['pco_value'])}</td>"
            f"<td>{_v(c['local_value'])}</td><td>{run(c['run_id'])}</td><td>"
            + _button("conflicts", "local", "Keep local", [c["id"]])
            + _button("conflicts", "pco", "Take PCO", [c["id"]]) + "</td><td>"
            f"<input type='text' id='{box}' placeholder='another value'>"
            + _button("conflicts", "value", "Use", [c["id"]], input_id=box) + "</td></tr>")
    return (form + bulk + "<table><tr><th></th><th>field</th><th>last agreed</th><th>PCO</th>"
            "<th>local</th><th>found by</th><th>choose</th><th>or type</th></tr>"
            + "".join(rows) + "</table>")


def _matches(base, run, items, filters, link):
    if not items:
        return "<p class='muted'>No open match reviews.</p>"
    bulk = ("<div class='bar'>Ticked reviews: "
            + _button("matches", "create", "Create as new people")
            + _button("matches", "ignore", "Ignore") + "</div>")
    cards = []
    for m in items:
        decided = (f"<p class='muted'>Decided by {escape(m['decided_by'])}: {escape(m['decision'])}"
                   f"{' person ' + str(m['decided_person_id']) if m['decided_person_id'] else ''}"
                   "; the next run applies it.</p>" if m["decision"] else "")
        stream = "people" if m["entity"] == "person" else "households"
        pco = (f"<div class='card pco'><b>In PCO</b> {link(stream, m['pco_id'])}<br>"
               f"{escape(m['pco_name'])}<br>{_facts(m['pco_birthdate'], m['pco_gender'], m['pco_emails'], m['pco_phone_numbers'])}</div>")
        local = "".join(
            f"<div class='card'><b>Local {escape(m['entity'])} {c['id']}</b><br>{escape(c.get('name') or '')}<br>"
            + _facts(c.get("birthdate"), None, c.get("emails"), c.get("phone_numbers"))
            + (f"family: {escape(c['family'])}<br>" if c.get("family") else "")
            + (f"members: {escape(', '.join(c['members']))}<br>" if c.get("members") else "")
            + (f"<span class='muted'>linked to PCO {escape(c['pco_id'])}</span><br>" if c.get("pco_id") else "")
            + _button("matches", "link", f"Link to this {m['entity']}", [m["id"]], value=c["id"])
            + "</div>" for c in m["candidates"])
        cards.append(
            f"<h3><input type='checkbox' class='pick' data-kind='matches' value='{m['id']}'> "
            f"{escape(m['pco_name'])}: {escape(m['reason'])} "
            f"<span class='muted'>(found by {run(m['run_id'])}; "
            f"{_history(base, m['entity'], pco_id=m['pco_id'])})</span></h3>{decided}"
            f"<div class='cards'>{pco}{local}</div><p>"
            + _button("matches", "create", f"Create as a new {m['entity']}", [m["id"]])
            + _button("matches", "ignore", "Ignore", [m["id"]]) + "</p>")
    return bulk + "".join(cards)


def _quarantine(base, run, items, filters, link):
    if not items:
        return "<p class='muted'>Nothing quarantined.</p>"
    rows = "".join(
        f"<tr><td><input type='checkbox' class='pick' data-kind='quarantine' value='{q['id']}'></td>"
        f"<td>{escape(q['stream'])}</td><td>{escape(q['pco_id'] or '')} {link(q['stream'], q['pco_id'])}"
        f"{'<br>' + escape(q['contact_kind']) + ' ' + escape(q['contact_id'] or '') if q['contact_kind'] else ''}</td>"
        f"<td>{escape(q['check_name'])}</td><td>{escape(q['detail'] or '')}</td>"
        f"<td>{run(q['run_id'])}<br><a href='{escape(_quality_url(base, q['run_id'], q['stream']))}' target='_blank'>"
        f"Great Expectations results</a></td>"
        f"<td><details><summary>PCO record</summary><pre>{escape(json.dumps(q['payload'], indent=1))}</pre></details></td>"
        "<td>" + "".join(_button("quarantine", a, ACTIONS["quarantine"][a].label, [q["id"]])
                         for a in ACTIONS.get("quarantine", {})) + "</td></tr>"
        for q in items)
    bulk = ("<div class='bar'>Ticked records: " + "".join(
        _button("quarantine", a, x.label) for a, x in ACTIONS.get("quarantine", {}).items() if x.bulk)
        + "</div>")
    return (bulk + "<table><tr><th></th><th>list</th><th>PCO record</th><th>check</th>"
            "<th>why</th><th>run</th><th>raw</th><th></th></tr>" + rows + "</table>")


def _removed(base, run, items, filters, link):
    if not items:
        return "<p class='muted'>Nobody removed in PCO is waiting for a decision.</p>"
    rows = "".join(
        f"<tr><td><input type='checkbox' class='pick' data-kind='removed' value='{r['id']}'></td>"
        f"<td>{escape(r['entity'])}</td><td>{escape(r.get('name') or '')} (local {r['local_id']}; "
        f"{_history(base, r['entity'], local_id=r['local_id'])})</td>"
        f"<td>{escape(r['pco_id'])}</td><td>{escape(r['reason'])}</td><td>{run(r['run_id'])}</td><td>"
        + "".join(_button("removed", a, x.label, [r["id"]], confirm=x.confirm)
                  for a, x in ACTIONS.get("removed", {}).items()) + "</td></tr>" for r in items)
    return ("<table><tr><th></th><th>what</th><th>local record</th><th>PCO id</th><th>why</th>"
            "<th>found by</th><th></th></tr>" + rows + "</table>")


def _push_failures(base, run, items, filters, link):
    if not items:
        return "<p class='muted'>No push failures.</p>"
    rows = "".join(
        f"<tr><td><input type='checkbox' class='pick' data-kind='push_failures' value='{f['id']}'></td>"
        f"<td>{escape(f['operation'])} {escape(f['entity'].replace('_', ' '))}: "
        f"{_named(f.get('name'), f['local_id'])}</td>"
        f"<td><code>{escape(f['method'])} {escape(f['path'])}</code></td>"
        f"<td>{escape(str(f['status'] or 'no answer'))}: {escape(f['detail'])}</td>"
        f"<td>{f['attempts']}</td><td>{escape(str(f['retry_after'])[:16])}</td>"
        f"<td>{run(f['run_id'])}</td><td>"
        + "".join(_button("push_failures", a, x.label, [f["id"]])
                  for a, x in ACTIONS.get("push_failures", {}).items()) + "</td></tr>" for f in items)
    bulk = ("<div class='bar'>Ticked failures: " + "".join(
        _button("push_failures", a, x.label) for a, x in ACTIONS.get("push_failures", {}).items())
        + "</div>")
    return (bulk + "<table><tr><th></th><th>change</th><th>request</th><th>PCO said</th>"
            "<th>attempts</th><th>tries again after</th><th>last run</th><th></th></tr>"
            + rows + "</table>")


def _waiting(base, run, items, filters, link):
    if not items:
        return "<p class='muted'>No memberships are waiting.</p>"
    rows = "".join(
        f"<tr><td>{escape(w['kind'])}</td><td>{escape(w['group_name'] or w['group_pco_id'])}</td>"
        f"<td>{escape(w['person_pco_id'])} {link('people', w['person_pco_id'])}</td>"
        f"<td>{escape(w['role'])}</td><td>{'in match review' if w['in_match_review'] else 'quarantined' if w['quarantined'] else 'not in the church database yet'}</td>"
        f"<td>{run(w['run_id'])}</td></tr>" for w in items)
    return ("<p class='muted'>Joined by the run after their person arrives: settle the match "
            "review or quarantine of that person.</p><table><tr><th>kind</th><th>group</th>"
            "<th>PCO person</th><th>role</th><th>waiting because</th><th>snapshot</th></tr>"
            + rows + "</table>")


SECTIONS = {"conflicts": _conflicts, "matches": _matches, "quarantine": _quarantine,
            "removed": _removed, "push_failures": _push_failures, "waiting": _waiting}


def _policy_form(policy: dict, variable: str) -> str:
    rows = "".join(f"<tr><th>{escape(g.replace('_', ' '))}</th><td>"
                   + _select(f"policy-{g}", POLICIES, policy.get(g, "manual"), name=g) + "</td></tr>"
                   for g in POLICY_GROUPS)
    return ("<h3>Conflict policies</h3><p class='muted'>What the merge does when both sides "
            "changed a field: manual (keep local, record a conflict), pco_wins, local_wins, "
            "newest_wins. Saved in the Airflow Variable <code>" + escape(variable) + "</code>; the "
            "next run uses it.</p><table id='policies'>" + rows + "</table>"
            "<button id='save-policy' onclick=\"call(API + '/policy', Object.fromEntries("
            "Array.from(document.querySelectorAll('#policies select')).map(s => [s.name, s.value])),"
            " 'PUT')\">Save policies</button>")


# ---- small parts -----------------------------------------------------------------------------

def _button(kind, action, label, ids=None, input_id=None, value=None, confirm=None) -> str:
    attrs = f" data-kind='{kind}' data-action='{action}'"
    if ids is not None:
        attrs += f" data-ids='{json.dumps(ids)}'"
    if input_id:
        attrs += f" data-input='{input_id}'"
    if value is not None:
        attrs += f" data-value='{escape(json.dumps(value))}'"
    if confirm:
        attrs += f" data-confirm='{escape(confirm)}'"
    return f"<button{attrs}>{escape(label)}</button>"


def _select(id_, options, current, name=None) -> str:
    opts = "".join(f"<option value='{escape(o)}'{' selected' if o == (current or '') else ''}>"
                   f"{escape(o or 'any')}</option>" for o in options)
    return f"<select id='{escape(id_)}' name='{escape(name or id_)}'>{opts}</select>"


def _v(value) -> str:
    return "<span class='muted'>(empty)</span>" if value is None else escape(str(value))


def _facts(birthdate, gender, emails, phones) -> str:
    parts = [f"born {escape(str(birthdate))}" if birthdate else "",
             escape(gender) if gender else "",
             escape(", ".join(e for e in (emails or []) if e)),
             escape(", ".join(p for p in (phones or []) if p))]
    return "".join(p + "<br>" for p in parts if p)


def _history(base: str, entity: str, local_id=None, pco_id=None) -> str:
    query = {"entity": entity, **({"local_id": local_id} if local_id is not None else {}),
             **({"pco_id": pco_id} if pco_id else {})}
    return f"<a href='{escape(base)}/history?{escape(urlencode(query))}'>history</a>"


def _run(dag_id: str, run_id: str) -> str:
    return (f"<a target='_top' href='/dags/{quote(dag_id)}/runs/{quote(run_id, safe='')}'>"
            f"{escape(run_id)}</a>")


def _pco_link(stream: str, pco_id, pco_api: str | None = None) -> str:
    url, where = web_url(stream, pco_id, pco_api)
    return (f"<a target='_blank' rel='noopener' href='{escape(url)}'>open in {where}</a>"
            if url else "")


def _quality_url(base: str, run_id: str, stream: str | None = None) -> str:
    return f"{base}/quality?{urlencode({'run_id': run_id, **({'stream': stream} if stream else {})})}"


def _named(name, local_id=None, pco_id=None) -> str:
    """A record as a person knows it: its name, else what ids say of it (a record gone)."""
    if name:
        return f"<b>{escape(name)}</b>"
    ids = [f"local {local_id}" if local_id else "", f"PCO {pco_id}" if pco_id else ""]
    return escape(f"({', '.join(i for i in ids if i) or 'gone'})")


def _plain(value) -> str:
    """A decision's before/after as words: "first name: Ann; email: ann@x.org", not JSON."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{escape(str(k).replace('_', ' '))}: {_plain(v) or '(none)'}"
                         for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape(str(value))


def _page(title: str, base: str, body: str) -> str:
    return ("<!doctype html><html><head><meta charset='utf-8'><title>" + title + "</title>"
            + look.head() + "<script>const API = " + json.dumps(base + "/api")
            + ";" + SCRIPT + "</script>" + frame.script_tag() + "</head><body><h2>" + title
            + "</h2>"
            "<div id='notice' hidden></div>" + body + "</body></html>")
