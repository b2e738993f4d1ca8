"""pco_sync_push_active_only against the simulator over HTTP and real PostgreSQL: an
inactive local person is not created in PCO (skipped, "inactive") unless the setting is
off; a linked person who becomes inactive locally stays in PCO and gets the status change."""
from __future__ import annotations

from push_helpers import client_for, local_person, pco_people, push_people, value, writes
from pco_sync.push.settings import PushSettings

ACTIVE_ONLY = PushSettings()
EVERYONE = PushSettings(active_only=False)


def test_inactive_local_people_are_not_created_unless_the_setting_is_off(db, sim):
    assert ACTIVE_ONLY.active_only  # the default a church gets
    here = local_person(db, "Ann", "Lee", email="ann@example.org")
    gone = local_person(db, "Bob", "Old", email="bob@example.org", status="inactive")
    client = client_for(sim)

    counts = push_people(db, client, "run-1", ACTIVE_ONLY)
    assert (counts["created"], counts["skipped"]) == (1, 1)
    assert counts["skipped_reasons"] == {"inactive": 1}
    assert [p["first_name"] for p in pco_people(sim, remote_id=here)] == ["Ann"]
    assert pco_people(sim, remote_id=gone) == []
    assert value(db, "SELECT pco_id FROM church.people WHERE id = %s", gone) is None

    again = push_people(db, client, "run-2", ACTIVE_ONLY)
    assert (again["created"], again["requests"]) == (0, 0)

    counts = push_people(db, client, "run-3", EVERYONE)
    assert counts["created"] == 1
    [bob] = pco_people(sim, remote_id=gone)
    assert bob["status"] == "inactive"


def test_a_linked_person_made_inactive_gets_a_status_change_not_a_delete(db, sim):
    pid = local_person(db, "Cal", "Ray", email="cal@example.org")
    client = client_for(sim)
    push_people(db, client, "run-1", ACTIVE_ONLY)
    [cal] = pco_people(sim, remote_id=pid)
    db.execute("UPDATE church.people SET status = 'inactive' WHERE id = %s", (pid,))
    db.commit()
    before = len(writes(sim))

    counts = push_people(db, client, "run-2", ACTIVE_ONLY)
    assert (counts["updated"], counts["failed"]) == (1, 0)
    sent = writes(sim)[before:]
    assert [(m, s) for m, _, s in sent] == [("PATCH", 200)]
    assert sim.store.tables["people"][cal["id"]]["status"] == "inactive"
    assert value(db, "SELECT status FROM sync.agreed_people WHERE pco_id = %s",
                 cal["id"]) == "inactive"
