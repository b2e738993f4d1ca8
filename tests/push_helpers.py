"""Helpers the push tests share: local rows, the client, pulls through the real extract and
merge, and reading what the simulator received."""
from __future__ import annotations

from pco_sync.pco.client import PcoClient
from pco_sync.push.settings import PushSettings
from pco_sync.push.entities import push
from pipeline import extract, merge_resource


def client_for(sim, **kw) -> PcoClient:
    kw.setdefault("backoff_base", 0.01)
    return PcoClient(sim.url, *sim.auth, **kw)


def local_person(db, first="Ann", last="Lee", *, email="ann@example.org", phones=(),
                 addresses=(), **cols) -> int:
    """A person as church staff would add one: no pco_id. phones: (number, location);
    addresses: dicts of church.addresses columns."""
    cols = {"first_name": first, "last_name": last, **cols}
    pid = db.execute(f"INSERT INTO church.people ({', '.join(cols)}) VALUES "
                     f"({', '.join(['%s'] * len(cols))}) RETURNING id",
                     list(cols.values())).fetchone()[0]
    if email:
        db.execute("INSERT INTO church.emails (person_id, address, location, is_primary) "
                   "VALUES (%s, %s, 'Home', true)", (pid, email))
    for number, location in phones:
        db.execute("INSERT INTO church.phone_numbers (person_id, number, location) "
                   "VALUES (%s, %s, %s)", (pid, number, location))
    for a in addresses:
        db.execute(f"INSERT INTO church.addresses (person_id, {', '.join(a)}) VALUES "
                   f"(%s, {', '.join(['%s'] * len(a))})", [pid, *a.values()])
    db.commit()
    return pid


def value(db, query, *args):
    row = db.execute(query, args).fetchone()
    return row[0] if row and len(row) == 1 else row


def pull(client, db, db_url, run_id, streams=("people",)) -> dict:
    """A full pull through the real extract and merge, as a DAG run does it: {summary row:
    counts} ("people", "families", ...)."""
    counts = {}
    for resource in streams:
        extract(client, db_url, resource, run_id, full_refresh=True)
        counts.update(merge_resource(db_url, resource, run_id))
    db.commit()  # see the other connections' writes from here on
    return counts


def writes(sim) -> list[tuple[str, str, int]]:
    """(method, path, status) of every non-GET request the simulator answered."""
    return [(r["method"], r["path"], r["status"]) for r in sim.sim.requests
            if r["method"] != "GET"]


def pco_people(sim, remote_id=None) -> list[dict]:
    rows = list(sim.store.tables["people"].values())
    return [r for r in rows if remote_id is None or str(r.get("remote_id")) == str(remote_id)]


DEFAULT = PushSettings()


def push_people(conn, client, run_id, settings=DEFAULT, **kw) -> dict:
    return push(conn, client, "people", run_id, settings, **kw)


def push_families(conn, client, run_id, **kw) -> dict:
    return push(conn, client, "families", run_id, **kw)


def push_memberships(conn, client, run_id, **kw) -> dict:
    return push(conn, client, "memberships", run_id, **kw)
