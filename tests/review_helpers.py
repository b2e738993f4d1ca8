"""A church with something for staff to settle, shared by the review tests."""
from __future__ import annotations

from push_helpers import DEFAULT, client_for, local_person, pull, push_people, value


def conflict_and_review(db, db_url, sim):
    """A first_name conflict on Ann Lee and a match review of a PCO Sam Roe with two local
    candidates. (client, ann's id, conflict id, review id, candidates)."""
    ann = local_person(db, "Ann", "Lee", phones=[("614-555-0100", "Mobile")])
    client = client_for(sim)
    push_people(db, client, "run-0", DEFAULT)
    ann_pco = value(db, "SELECT pco_id FROM church.people WHERE id = %s", ann)
    twins = [local_person(db, "Sam", "Roe", email=f"sam{i}@example.org", birthdate="1990-05-05")
             for i in (1, 2)]  # local only: not pushed
    sam = sim.store.insert("people", {"first_name": "Sam", "last_name": "Roe",
                                      "birthdate": "1990-05-05", "status": "active",
                                      "child": False})
    sim.store.update("people", ann_pco, {"first_name": "Anna"})
    db.execute("UPDATE church.people SET first_name = 'Annie' WHERE id = %s", (ann,))
    db.commit()
    pull(client, db, db_url, "pull-1")
    cid = value(db, "SELECT id FROM sync.conflicts WHERE resolved_at IS NULL AND field = 'first_name'")
    rid = value(db, "SELECT id FROM sync.match_review WHERE resolved_at IS NULL AND pco_id = %s",
                sam["id"])
    return client, ann, cid, rid, twins
