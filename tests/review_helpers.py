"""A church with something for staff to settle, shared by the review tests."""
from __future__ import annotations

from push_helpers import (DEFAULT, client_for, local_person, pull, push_families, push_people,
                          value)


def ann_renamed_on_both_sides(db, sim):
    """Ann Lee (with a phone) pushed to PCO, then renamed on both sides: Anna in PCO, Annie
    here (the next pull sees a first_name conflict). (client, person id, PCO id)."""
    pid = local_person(db, "Ann", "Lee", phones=[("614-555-0100", "Mobile")])
    client = client_for(sim)
    push_people(db, client, "run-0", DEFAULT)
    pco_id = value(db, "SELECT pco_id FROM church.people WHERE id = %s", pid)
    sim.store.update("people", pco_id, {"first_name": "Anna"})
    db.execute("UPDATE church.people SET first_name = 'Annie' WHERE id = %s", (pid,))
    db.commit()
    return client, pid, pco_id


def lee_family_renamed_on_both_sides(db, sim):
    """The Lee family (Ann Lee) pushed to PCO, then renamed on both sides: The Lees in PCO,
    Lee Household here. (client, family id, PCO household id)."""
    ann = local_person(db, "Ann", "Lee")
    fid = db.execute("INSERT INTO church.families (name, primary_contact_id) VALUES "
                     "('Lee Family', %s) RETURNING id", (ann,)).fetchone()[0]
    db.execute("INSERT INTO church.family_members (family_id, person_id) VALUES (%s, %s)",
               (fid, ann))
    db.commit()
    client = client_for(sim)
    push_people(db, client, "run-0", DEFAULT)
    push_families(db, client, "run-0")
    hid = value(db, "SELECT pco_id FROM church.families WHERE id = %s", fid)
    sim.store.update("households", hid, {"name": "The Lees"})
    db.execute("UPDATE church.families SET name = 'Lee Household' WHERE id = %s", (fid,))
    db.commit()
    return client, fid, hid


def conflict_and_review(db, db_url, sim):
    """A first_name conflict on Ann Lee and a match review of a PCO Sam Roe with two local
    candidates. (client, ann's id, conflict id, review id, candidates)."""
    client, ann, _ = ann_renamed_on_both_sides(db, sim)
    twins = [local_person(db, "Sam", "Roe", email=f"sam{i}@example.org", birthdate="1990-05-05")
             for i in (1, 2)]  # local only: not pushed
    sam = sim.store.insert("people", {"first_name": "Sam", "last_name": "Roe",
                                      "birthdate": "1990-05-05", "status": "active",
                                      "child": False})
    db.commit()
    pull(client, db, db_url, "pull-1")
    cid = value(db, "SELECT id FROM sync.conflicts WHERE resolved_at IS NULL AND field = 'first_name'")
    rid = value(db, "SELECT id FROM sync.match_review WHERE resolved_at IS NULL AND pco_id = %s",
                sam["id"])
    return client, ann, cid, rid, twins


def odd_email_person(sim) -> str:
    """A PCO person whose one email fails its check ("two@@..."): a quarantined contact."""
    odd = sim.store.insert("people", {"first_name": "Odd", "last_name": "Email",
                                      "status": "active", "child": False})["id"]
    sim.store.insert("emails", {"person_id": odd, "address": "two@@example.org",
                                "location": "Home", "primary": True, "blocked": False})
    return odd
