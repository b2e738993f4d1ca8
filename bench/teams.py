"""Pushing Services team assignments (issue 20), against a simulator in its own process.

Figure:
- teams.assignments_push_requests: the requests of a push of 100 new local team
  assignments (100 linked people of a 2,000-person church, each joined locally to a live
  PCO team holding one of its positions) against the minimum: one POST per assignment,
  plus, for the people PCO does not have in Services, one POST person_apps each and one
  read of /people/v2/apps to learn the Services app's id. Target <= 1.0, as people pushes:
  nothing is looked up or tried twice on a first attempt. A second push with nothing
  changed must make no request (checked, printed).
The push runs with accept_mass_push: 100 adds are over the safety gate's share of a church
this small, which is the gate's job, not what is measured here.
"""
from __future__ import annotations

import os

from bench import church
from pco_sync import church_db as pco_db
from pco_sync.extract import run as extracts
from pco_sync.merge.run import merge
from pco_sync.pco.client import PcoClient
from pco_sync.push.entities import push
from pco_sync.quality.gates import gate
from pco_sync.quality.validate import validate_resource

PEOPLE = 2_000
NEW = 100
RESOURCES = ("people", "teams")

# NEW linked people who are on no team, each joined to a live team (round robin) holding
# its first position: what staff adding volunteers locally would do.
JOIN_SQL = """
WITH teams AS (
    SELECT g.id, (SELECT gp.name FROM church.group_positions gp WHERE gp.group_id = g.id
                   ORDER BY gp.sequence NULLS LAST, gp.id LIMIT 1) AS position,
           row_number() OVER (ORDER BY g.id) - 1 AS n
      FROM church.groups g
     WHERE g.pco_type = 'Team' AND g.deleted_in_pco_at IS NULL
       AND g.pco_service_type_id IS NOT NULL
),
people AS (
    SELECT p.id, p.pco_id, row_number() OVER (ORDER BY p.id) - 1 AS n
      FROM church.people p
     WHERE p.pco_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM church.group_memberships m WHERE m.person_id = p.id)
     ORDER BY p.id
     LIMIT %(new)s
)
INSERT INTO church.group_memberships (group_id, person_id, joined_at, positions)
SELECT t.id, p.id, current_date, ARRAY[t.position]
  FROM people p
  JOIN teams t ON t.n = p.n %% (SELECT count(*) FROM teams)
RETURNING (SELECT pco_id FROM church.people WHERE id = person_id)
"""


def database() -> str:
    """A fresh, migrated database of this benchmark's own."""
    return church.database(fresh=True, name=os.environ.get("PCO_SYNC_BENCH_TEAMS_DB",
                                                           "pco_sync_bench_teams"))


def client(sim_url: str) -> PcoClient:
    return PcoClient(sim_url, church.APP_ID, church.SECRET)


def pull(sim_url: str, db_url: str, run_id: str) -> None:
    pco = client(sim_url)
    with pco_db.connect(db_url) as conn:
        for resource in RESOURCES:
            read = extracts.plan(conn, resource, None, None, full_refresh=True)
            extracts.extract_resource(pco, conn, resource, run_id, read)
            validate_resource(conn, resource, run_id)
        gate(conn, run_id, full_refresh=True)
        for resource in RESOURCES:
            merge(conn, resource, run_id)


def run() -> dict[str, dict]:
    db_url = database()
    print(f"teams: simulator with {PEOPLE:,} people ...", flush=True)
    with church.simulator(PEOPLE, rate_limit=10_000_000) as sim:
        pull(sim.url, db_url, "bench-teams-pull")
        in_services = {r["id"] for r, _ in client(sim.url).records("/services/v2/people")}
        with pco_db.connect(db_url) as conn:
            joined = [p for (p,) in conn.execute(JOIN_SQL, {"new": NEW}).fetchall()]
            conn.commit()
            outside = len(set(joined) - in_services)
            minimum = len(joined) + outside + (1 if outside else 0)
            pco = client(sim.url)
            counts = push(conn, pco, "team_assignments", "bench-teams-push",
                          accept_mass_push=True)
            again = push(conn, client(sim.url), "team_assignments", "bench-teams-again")
    print(f"teams: {len(joined)} new local assignments ({outside} people not in Services "
          f"yet): created {counts['created']}, failed {counts['failed']}, "
          f"{pco.stats.requests} requests; minimum {minimum}; a second push made "
          f"{again['requests']} requests", flush=True)
    if len(joined) != NEW or counts["created"] != NEW or again["requests"] != 0:
        raise RuntimeError(f"teams: expected {NEW} assignments created once, got {counts} "
                           f"then {again}")
    return {"teams.assignments_push_requests": {
        "value": pco.stats.requests, "bound": minimum, "target": 1.0, "unit": "req"}}


if __name__ == "__main__":
    print(run())
