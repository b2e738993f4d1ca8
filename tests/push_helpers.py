"""Helpers the push tests share: local rows, the client, pulls through the real extract and
merge, and reading what the simulator received."""
from __future__ import annotations

from pco_sync import tasks
from pco_sync.client import PcoClient
from pco_sync.push_settings import PushSettings


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
    """A full pull through the real extract and merge, as a DAG run does it."""
    counts = {}
    for stream in streams:
        tasks.extract_stream(client, db_url, stream, run_id, window_start=None,
                             window_end=None, full_refresh=True)
        entity = tasks.ENTITY_OF_STREAM[stream]
        counts[entity] = tasks.merge(db_url, run_id, entity)
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
