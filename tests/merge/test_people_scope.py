"""The people scope (pco_sync_people_scope), from the simulator over HTTP into real
PostgreSQL: under services_active only the PCO people active in Services are created here
(in Services and not archived, or holding an assignment on a live team); one outside the
scope who matches a local person is still linked, never duplicated; one who enters the
scope is merged by the next teams read though their People record did not change; one who
leaves is kept, linked and listed in sync.people_out_of_scope, never deleted nor counted
removed; `all` is the merge as it always was; every bad value is refused naming the setting."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests

from pipeline import client_for, extract
from pco_simulator.generator import generate
from pco_sync import church_db, churches, summary
from pco_sync.errors import SettingsError
from pco_sync.merge import run as merge_run
from pco_sync.pco import resources as registry
from pco_sync.pco import scope as people_scopes
from pco_sync.quality.gates import gate
from pco_sync.quality.validate import validate_resource

RESOURCES = ("people", "teams")
# A window no PCO record was edited in: the people read of such a run stages nobody.
QUIET = (datetime(2031, 1, 1, tzinfo=timezone.utc), datetime(2031, 1, 1, 0, 15,
                                                                 tzinfo=timezone.utc))


def sync(sim, db_url: str, run_id: str, scope: str | None, resources=RESOURCES, *,
         full_refresh: bool = True, window=(None, None)) -> dict:
    """One run as tests/pipeline.py's sync, every merge under the people scope `scope`."""
    client = client_for(sim, max_retries=2)
    extracted = {r: extract(client, db_url, r, run_id, window=window,
                            full_refresh=full_refresh) for r in resources}
    checked = {}
    with church_db.connect(db_url) as conn:
        for r in resources:
            checked[r] = validate_resource(conn, r, run_id)
        gate(conn, run_id, full_refresh=full_refresh)
    merged = {}
    with church_db.connect(db_url) as conn:
        for r in registry.RESOURCES:
            merged[r] = merge_run.merge(conn, r, run_id, None, scope)
    return {**summary.summarize(checked, merged), "extracted": extracted}


@pytest.fixture
def church(sim):
    generate(sim.store, 200, seed=3)
    return sim


def in_scope(store) -> set[str]:
    """The rule, from the simulator's own tables: in Services and not archived, or holding
    an assignment on a team neither deleted nor archived."""
    live = {t["id"] for t in store.tables["teams"].values()
            if not t.get("deleted_at") and not t.get("archived_at")}
    services = {p["id"] for p in store.tables["services_people"].values()
                if not p.get("archived")}
    holders = {a["person_id"] for a in store.tables["person_team_position_assignments"].values()
               if a["team_id"] in live}
    return services | holders


def linked(db) -> set[str]:
    return {p for (p,) in db.execute(
        "SELECT pco_id FROM church.people WHERE pco_id IS NOT NULL")}


def quarantined(db) -> set[str]:
    return {p for (p,) in db.execute(
        "SELECT pco_id FROM sync.quarantine WHERE stream = 'people' AND contact_kind IS NULL "
        "AND resolved_at IS NULL")}


def marked(db) -> dict[str, object]:
    return dict(db.execute("SELECT pco_id, since FROM sync.people_out_of_scope").fetchall())


def add_to_services(sim, person_id: str) -> None:
    """POST /people/v2/people/{id}/person_apps with the Services app, as PCO's API does it."""
    r = requests.post(f"{sim.url}/people/v2/people/{person_id}/person_apps", auth=sim.auth,
                      json={"data": {"type": "PersonApp",
                                     "attributes": {"app_id": SERVICES_APP_ID}}})
    assert r.status_code in (200, 201), r.text


SERVICES_APP_ID = "2"


def test_services_active_merges_only_the_people_active_in_services(church, db, db_url):
    store = church.store
    scope = in_scope(store)
    everyone = set(store.tables["people"])
    assert scope and everyone - scope  # the generated church has people on both sides
    assert any(p.get("archived") for p in store.tables["services_people"].values())

    out = sync(church, db_url, "r1", "services_active", ("people", "households", "teams"))
    here = linked(db)
    assert here == scope - quarantined(db)
    # households: only those with a member here; no family of nobody
    assert out["families"]["created"] > 0
    assert not db.execute("SELECT id FROM church.families f WHERE NOT EXISTS (SELECT 1 FROM "
                          "church.family_members m WHERE m.family_id = f.id)").fetchall()
    assert out["people"]["created"] == len(here)
    assert out["people"]["removed"] == 0
    # an archived Services person without a live assignment is out
    archived = {p["id"] for p in store.tables["services_people"].values() if p.get("archived")}
    assert not (archived - scope) & here
    # team members all found their person
    assert out["team_memberships"]["created"] > 0
    assert not marked(db)

    again = sync(church, db_url, "r2", "services_active", ("people", "households", "teams"))
    assert (again["people"]["created"], again["people"]["removed"]) == (0, 0)
    assert (again["families"]["created"], again["families"]["removed"]) == (0, 0)
    assert linked(db) == here
    assert not db.execute("SELECT 1 FROM sync.removed_in_pco").fetchall()


def test_a_person_outside_the_scope_matching_a_local_person_is_linked_not_duplicated(
        church, db, db_url):
    store = church.store
    outside = sorted(set(store.tables["people"]) - in_scope(store), key=int)
    email = next(e for e in store.tables["emails"].values() if e["person_id"] in outside)
    person = store.tables["people"][email["person_id"]]
    local = db.execute(
        "INSERT INTO church.people (first_name, last_name) VALUES (%s, %s) RETURNING id",
        (person["first_name"], person["last_name"])).fetchone()[0]
    db.execute("INSERT INTO church.emails (person_id, address) VALUES (%s, %s)",
               (local, email["address"]))
    db.commit()

    sync(church, db_url, "r1", "services_active")
    rows = db.execute("SELECT id, pco_id FROM church.people WHERE first_name = %s AND "
                      "last_name = %s", (person["first_name"], person["last_name"])).fetchall()
    assert (local, person["id"]) in rows
    assert [r for r in rows if r[1] == person["id"]] == [(local, person["id"])]
    # linked while outside the scope: listed as such, not created, never deleted
    assert person["id"] in marked(db)
    # the people push has nobody to create for them: they are linked
    assert db.execute("SELECT pco_id FROM church.people WHERE id = %s",
                      (local,)).fetchone()[0] == person["id"]


def test_a_person_added_to_services_is_merged_by_the_next_teams_read(church, db, db_url):
    store = church.store
    sync(church, db_url, "r1", "services_active")
    outside = sorted(set(store.tables["people"]) - in_scope(store) - quarantined(db), key=int)
    newcomer = outside[0]
    assert newcomer not in linked(db)
    add_to_services(church, newcomer)
    assert newcomer in in_scope(store)

    # a run whose people read stages nobody (their People record did not change), with the
    # teams read whole (a run by hand)
    out = sync(church, db_url, "r2", "services_active", full_refresh=False, window=QUIET)
    assert out["extracted"]["people"]["people"]["records"] == 0
    assert newcomer in linked(db)
    assert out["people"]["created"] == 1
    assert linked(db) == in_scope(store) - quarantined(db)
    name = db.execute("SELECT first_name FROM church.people WHERE pco_id = %s",
                      (newcomer,)).fetchone()[0]
    assert name == store.tables["people"][newcomer]["first_name"]


def test_a_person_entering_the_scope_with_two_local_candidates_goes_to_review(
        church, db, db_url):
    """Their review row shows the record merged: their latest staged copy (the run that
    enters them read nobody), as for anyone the ladder cannot decide."""
    store = church.store
    sync(church, db_url, "r1", "services_active")
    newcomer = next(p for p in sorted(set(store.tables["people"]) - in_scope(store)
                                      - quarantined(db), key=int)
                    if all(store.tables["people"][p].get(f)
                           for f in ("first_name", "last_name", "birthdate")))
    person = store.tables["people"][newcomer]
    twins = [db.execute("INSERT INTO church.people (first_name, last_name, birthdate) "
                        "VALUES (%s, %s, %s) RETURNING id",
                        (person["first_name"], person["last_name"], person["birthdate"])
                        ).fetchone()[0] for _ in range(2)]
    db.commit()
    add_to_services(church, newcomer)

    out = sync(church, db_url, "r2", "services_active", full_refresh=False, window=QUIET)
    assert out["people"]["needs_review"] == 1
    assert newcomer not in linked(db)
    run_id, candidates, payload = db.execute(
        "SELECT run_id, candidates, payload FROM sync.match_review WHERE entity = 'person' "
        "AND pco_id = %s AND resolved_at IS NULL", (newcomer,)).fetchone()
    assert (run_id, sorted(candidates)) == ("r2", sorted(twins))
    staged = db.execute("SELECT record FROM pco_staging.people WHERE run_id = 'r1' AND "
                        "pco_id = %s", (newcomer,)).fetchone()[0]
    assert payload == staged


def test_a_person_who_leaves_the_scope_is_kept_linked_and_marked(church, db, db_url):
    store = church.store
    sync(church, db_url, "r1", "services_active")
    holders = {}
    for a in store.tables["person_team_position_assignments"].values():
        holders.setdefault(a["person_id"], []).append(a["id"])
    leaver = sorted(set(holders) & linked(db), key=int)[0]
    local_id = db.execute("SELECT id FROM church.people WHERE pco_id = %s",
                          (leaver,)).fetchone()[0]
    for aid in holders[leaver]:  # assignment removed, and archived in Services
        store.delete("person_team_position_assignments", aid)
    store.update("services_people", leaver, {"archived": True,
                                             "archived_at": store.now_iso()})
    assert leaver not in in_scope(store)

    out = sync(church, db_url, "r2", "services_active", full_refresh=False, window=QUIET)
    assert db.execute("SELECT pco_id FROM church.people WHERE id = %s",
                      (local_id,)).fetchone()[0] == leaver
    assert leaver in marked(db)
    since = marked(db)[leaver]
    assert out["people"]["removed"] == 0
    assert out["team_memberships"]["ended"] >= 1

    # a whole people read later: still here, linked, marked since the first time
    out = sync(church, db_url, "r3", "services_active")
    assert (out["people"]["removed"], out["people"]["created"]) == (0, 0)
    assert db.execute("SELECT pco_id FROM church.people WHERE id = %s",
                      (local_id,)).fetchone()[0] == leaver
    assert marked(db) == {leaver: since}
    assert not db.execute("SELECT 1 FROM sync.removed_in_pco").fetchall()

    # back in Services: off the list
    store.update("services_people", leaver, {"archived": False, "archived_at": None})
    sync(church, db_url, "r4", "services_active", full_refresh=False, window=QUIET)
    assert leaver not in marked(db)


def test_scope_all_is_the_merge_as_it_always_was(church, db, db_url):
    people = registry.resource("people")
    steps = merge_run.steps(people, "all")  # the registry's, and emptying the list
    assert [s for s in steps if s != "people/scope_unmark.sql"] == list(people.merge_steps)
    assert merge_run.steps(registry.resource("teams"), "services_active") == \
        list(registry.resource("teams").merge_steps)
    out = sync(church, db_url, "r1", "all")
    assert linked(db) == set(church.store.tables["people"]) - quarantined(db)
    assert out["people"]["created"] == len(linked(db))
    # the default is all
    again = sync(church, db_url, "r2", None)
    assert (again["people"]["created"], again["people"]["removed"]) == (0, 0)
    assert not marked(db)


def test_services_active_without_a_teams_read_fails_naming_the_setting(church, db, db_url):
    with pytest.raises(SettingsError, match="pco_sync_people_scope is services_active.*teams"):
        sync(church, db_url, "r1", "services_active", resources=("people",))
    assert not linked(db)  # nothing merged


def test_every_bad_value_is_refused_naming_the_setting(db, db_url, monkeypatch):
    assert people_scopes.people_scope(None) == "all"
    assert people_scopes.people_scope(" ") == "all"
    assert people_scopes.people_scope("Services_Active ") == "services_active"
    for bad in ("active", "everyone", "services", 1, True, ["all"]):
        with pytest.raises(SettingsError, match=r"pco_sync_people_scope must be one of all, "
                                                r"services_active, not "):
            people_scopes.people_scope(bad)
    # the merge refuses it before touching anything, naming the church's Variable
    with church_db.connect(db_url) as conn:
        with pytest.raises(SettingsError, match="pco_sync_people_scope__grace must be one of"):
            merge_run.merge(conn, "people", "r1", None, "active",
                            "pco_sync_people_scope__grace")

    # churches.yaml: checked when the file is read, naming the church and the field
    with pytest.raises(churches.ChurchesFileError,
                       match=r"church 'grace': people_scope must be one of all, "
                             r"services_active, not 'active'"):
        churches.parse({"churches": [{"slug": "grace", "people_scope": "active"}]})
    usable, broken = churches.entries({"churches": [
        {"slug": "grace", "people_scope": "services_active"},
        {"slug": "hope", "people_scope": "nobody"}]})
    assert [c.people_scope for c in usable] == ["services_active"]
    assert [b.slug for b in broken] == ["hope"] and "people_scope" in broken[0].error
    assert churches.parse({"churches": [{"slug": "faith"}]})[0].people_scope is None

    # the task: the church's Variable first, else its file field, else all
    from pco_sync.airflow import tasks

    grace = churches.parse({"churches": [{"slug": "grace",
                                          "people_scope": "services_active"}]})[0]
    values: dict[str, str] = {}
    monkeypatch.setattr(tasks, "variable", values.get)
    assert tasks.people_scope(grace) == (
        "services_active", "churches.yaml: church 'grace': people_scope")
    assert tasks.people_scope(churches.DEFAULT) == ("all", "pco_sync_people_scope")
    values["pco_sync_people_scope__grace"] = "all"
    assert tasks.people_scope(grace) == ("all", "pco_sync_people_scope__grace")
    values["pco_sync_people_scope__grace"] = "sometimes"
    with pytest.raises(SettingsError, match="pco_sync_people_scope__grace must be one of"):
        tasks.people_scope(grace)


def test_webhook_deliveries_follow_the_scope(church, db, db_url, monkeypatch):
    """A delivery about a PCO person outside the scope creates nobody; one about a linked
    person merges as always."""
    from webhook_helpers import drain, receiver, wait_for_deliveries

    store = church.store
    sync(church, db_url, "r1", "services_active")
    here = linked(db)
    outsider = sorted(set(store.tables["people"]) - in_scope(store) - quarantined(db),
                      key=int)[0]
    member = sorted(here, key=int)[0]
    client = client_for(church, max_retries=2)
    with receiver(db_url, monkeypatch) as r:
        r.subscribe(church, client)
        for pco_id, name in ((outsider, "Outside"), (member, "Inside")):
            answer = requests.patch(f"{church.url}/__admin/records/people/{pco_id}",
                                    json={"first_name": name}, timeout=10)
            assert answer.status_code == 200, answer.text
        wait_for_deliveries(db, 2)
        drained = drain(db_url, client, "wh-1", ("people", "households", "teams"),
                        scope=("services_active", "pco_sync_people_scope"))
    assert drained.merged["people"]["people"]["created"] == 0
    db.commit()
    assert outsider not in linked(db)
    assert db.execute("SELECT first_name FROM church.people WHERE pco_id = %s",
                      (member,)).fetchone()[0] == "Inside"


def test_services_people_rows_are_checked(db):
    """The services_people frame: a record without an id, or with an `archived` that is not
    true or false, is quarantined (and so left out of the Services half of the scope)."""
    import json

    from pco_sync.quality.validate import validate

    rows = [{"type": "Person", "id": "s1", "attributes": {"archived": False}},
            {"type": "Person", "id": "s2", "attributes": {"archived": "yes"}},
            {"type": "Person", "id": "s3", "attributes": {}},
            {"type": "Person", "id": " ", "attributes": {"archived": True}}]
    for n, r in enumerate(rows):
        db.execute("INSERT INTO pco_staging.services_people (run_id, pco_id, record) "
                   "VALUES ('run-q', %s, %s)", (f"s{n + 1}", json.dumps(r)))
    db.commit()
    validate(db, "services_people", "run-q")
    got: dict[str, set[str]] = {}
    for pco_id, check in db.execute("SELECT pco_id, check_name FROM sync.quarantine "
                                    "WHERE stream = 'services_people'"):
        got.setdefault(pco_id, set()).add(check)
    assert got == {"s2": {"archived_valid"}, "s4": {"id_present"}}
