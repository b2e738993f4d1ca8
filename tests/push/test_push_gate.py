"""The push's safety gate, through the real push against the simulator: a push that would
create or change far more than a run normally does sends nothing and says what it would
have done; a run that accepts it goes through; a dry run reports it without failing."""
from __future__ import annotations

import pytest

from pco_sync.errors import PushGateError, SettingsError
from pco_sync.push.gate import Limits
from pco_sync.push.settings import PushSettings
from push_helpers import client_for, local_person, pco_people, push_people, value, writes

RUN = "run-gate"


def test_a_bulk_import_is_stopped_before_anything_is_sent(db, sim):
    for i in range(30):
        local_person(db, f"Bulk{i}", "Import", email=f"bulk{i}@example.org")
    settings = PushSettings(limits=Limits(max_changes=20, max_share=0.25))
    with pytest.raises(PushGateError) as err:
        push_people(db, client_for(sim), RUN, settings)
    assert "push people would create 30 records in PCO, none linked yet, more than 20" in str(err.value)
    assert "accept_mass_push=true" in str(err.value)
    assert writes(sim) == [] and not sim.sim.requests  # nothing sent, not even a lookup
    assert value(db, "SELECT count(*) FROM sync.push_pending") == 0

    dry = push_people(db, client_for(sim), RUN, settings, dry_run=True)
    assert dry["gate"].startswith("push safety gate: push people would create 30")
    assert writes(sim) == []

    done = push_people(db, client_for(sim), RUN, settings, accept_mass_push=True)
    assert done["created"] == 30 and len(pco_people(sim)) == 30


def test_changing_a_large_share_of_linked_people_is_stopped(db, sim):
    ids = [local_person(db, f"P{i}", "Linked", email=f"p{i}@example.org") for i in range(40)]
    client = client_for(sim)
    push_people(db, client, RUN, accept_mass_push=True)  # 40 creates, none linked yet
    db.execute("UPDATE church.people SET last_name = 'Renamed' WHERE id = ANY (%s)", (ids[:30],))
    db.commit()
    before = len(sim.sim.requests)
    with pytest.raises(PushGateError, match=r"would change 30 records in PCO of 40 linked \(75%\), "
                                            r"more than 25% of what is linked"):
        push_people(db, client, "run-2")
    assert len(sim.sim.requests) == before
    assert push_people(db, client, "run-3", accept_mass_push=True)["updated"] == 30


def test_an_ordinary_run_is_not_stopped(db, sim):
    for i in range(3):
        local_person(db, f"Few{i}", "People", email=f"few{i}@example.org")
    assert push_people(db, client_for(sim), RUN)["created"] == 3  # under 25 changes: no share rule


@pytest.mark.parametrize("values, message", [
    ({"max_changes": "0"}, "pco_sync_push_max_changes must be a whole number"),
    ({"max_changes": "lots"}, "pco_sync_push_max_changes must be a whole number"),
    ({"max_share": "1.5"}, "pco_sync_push_max_share must be a share between 0 and 1"),
])
def test_the_limits_are_variables_checked_with_clear_errors(values, message):
    assert PushSettings.parse({"max_changes": "100", "max_share": "0.1"}).limits == Limits(100, 0.1)
    with pytest.raises(SettingsError, match=message):
        PushSettings.parse(values)
