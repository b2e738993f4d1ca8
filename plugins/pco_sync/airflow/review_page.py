"""The "PCO Sync" page: what needs a person, one tab per kind with its count, and the
buttons that settle it. Plain data (pco_sync.review.queries) into the templates of
templates/ (review.html and a review_<kind>.html per tab), so it is tested without a
server; the buttons call the page's JSON API (review_api) from the page's script
(templates/review.js), and reload the page with what the church database says now.
"""
from __future__ import annotations

from urllib.parse import quote, urlencode

from pco_sync.airflow import templates
from pco_sync.merge.run import POLICIES, POLICY_GROUPS
from pco_sync.review.actions import ACTIONS
from pco_sync.review.links import web_url
from pco_sync.review.queries import KINDS


def render(base: str, dag_id: str, counts: dict, kind: str, items: list[dict],
           policy: dict, filters: dict | None = None,
           policy_variable: str = "pco_sync_conflict_policy", backlog: dict | None = None,
           run_dags: dict[str, tuple[str, str]] | None = None,
           pco_api: str | None = None, connection: dict | None = None,
           may_connect: bool = False, syncing: dict | None = None) -> str:
    """The page for tab `kind`: `base` is the page's own URL (the plugin's prefix + dag);
    `pco_api`: the church's PCO connection's base URL ("open in PCO" leads to the simulator's
    record when it is not PCO's);
    `backlog`: the webhook inbox's (pco_sync.webhooks.inbox.backlog), shown when given;
    `run_dags`: (DAG id, Airflow run id) of each run id not the sync DAG's (a webhook
    batch's);
    `connection`: the church's Planning Center connection (connect_api.connection), shown
    when given, with Connect / Reconnect when `may_connect`;
    `syncing`: the run in progress and its tasks' progress ({run_id, url, rows}), shown and
    kept current by the page script."""
    dags = run_dags or {}
    return templates.render(
        "review.html", base=base, dag_id=dag_id, kind=kind, counts=counts,
        total=sum(counts.values()), tabs=[(key, label) for key, label, _ in KINDS],
        backlog=backlog, items=items, filters=filters or {}, connection=connection,
        syncing=syncing,
        may_connect=may_connect,
        records=_by_record(items) if kind == "conflicts" else [],
        actions=ACTIONS.get(kind, {}), policy=policy, policy_variable=policy_variable,
        policy_groups=POLICY_GROUPS, policies=POLICIES,
        run_of=lambda run_id: _run(*dags.get(run_id, (dag_id, run_id))),
        pco_url=lambda stream, pco_id: web_url(stream, pco_id, pco_api),
        history_url=lambda entity, local_id=None, pco_id=None: _history_url(
            base, entity, local_id, pco_id),
        quality_url=lambda run_id, stream=None: _quality_url(base, run_id, stream))


def render_not_synced(dag_id: str, pending: list[str], applied_any: bool,
                      connection: dict | None = None, may_connect: bool = False) -> str:
    """The page of a church whose database the sync has not prepared yet: before its first
    run (no church schema), or after an upgrade whose migrations its next run applies (with
    its Planning Center connection when given: a church in OAuth mode connects first)."""
    return templates.render("not_synced.html", base="", dag_id=dag_id, pending=pending,
                            applied_any=applied_any, connection=connection,
                            may_connect=may_connect)


def render_churches(churches: list[tuple[str, str, str]],
                    broken: list[tuple[str, str]] = (),
                    connect: dict[str, str] | None = None) -> str:
    """The menu's page when the deployment serves several churches: (name, DAG id, page),
    and the churches.yaml entries that cannot be used: (DAG id, why); connect: the connect
    page of each church (DAG id: URL) the reader may connect with Planning Center."""
    return templates.render("churches.html", base="", churches=churches, broken=broken,
                            connect=connect or {})


def render_history(base: str, dag_id: str, rows: list[dict], what: str) -> str:
    return templates.render("history.html", base=base, dag_id=dag_id, rows=rows, what=what,
                            action_words=action_words)


# sync.resolution_log's action prefixes (conflict:local, ...) and the page tab they came from
ACTION_KINDS = {"conflict": "conflicts", "match": "matches", "quarantine": "quarantine",
                "removed": "removed", "push_failure": "push_failures"}


def action_words(action: str | None) -> str:
    """A logged decision as its button said it ("conflict:local" -> "Keep local")."""
    prefix, _, choice = (action or "").partition(":")
    found = ACTIONS.get(ACTION_KINDS.get(prefix, ""), {}).get(choice)
    return found.label if found else (action or "").replace("_", " ").replace(":", ": ")


# ---- data for the templates -------------------------------------------------------------------

def _by_record(conflicts: list[dict]) -> list[dict]:
    """Conflicts under the record they are of, records in the order first found (a record's
    row settles all of its conflicts)."""
    records: dict[tuple, dict] = {}
    for c in conflicts:
        record = records.setdefault((c["record_kind"], c["record_id"]), {
            "kind": c["record_kind"], "id": c["record_id"], "pco_id": c["record_pco_id"],
            "name": c["record_name"], "conflicts": []})
        record["conflicts"].append(c)
    return list(records.values())


def _history_url(base: str, entity: str, local_id=None, pco_id=None) -> str:
    query = {"entity": entity, **({"local_id": local_id} if local_id is not None else {}),
             **({"pco_id": pco_id} if pco_id else {})}
    return f"{base}/history?{urlencode(query)}"


def _run(dag_id: str, run_id: str) -> tuple[str, str]:
    """(the run's page in Airflow's UI, its run id)."""
    return run_url(dag_id, run_id), run_id


def run_url(dag_id: str, run_id: str) -> str:
    """A run's page in Airflow's UI."""
    return f"/dags/{quote(dag_id)}/runs/{quote(run_id, safe='')}"


def _quality_url(base: str, run_id: str, stream: str | None = None) -> str:
    query = {"run_id": run_id, **({"stream": stream} if stream else {})}
    return f"{base}/quality?{urlencode(query)}"


def _named(name, local_id=None, pco_id=None) -> str:
    """A record as a person knows it (the templates' macro): its name, else what ids say of
    it (a record gone)."""
    return templates.macros().named(name, local_id, pco_id)


def _plain(value) -> str:
    """A decision's before/after as words (the templates' macro): "first name: Ann; email:
    ann@x.org", not JSON."""
    return templates.macros().plain(value)
