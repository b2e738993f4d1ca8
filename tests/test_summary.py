"""The run summary: every inbound row carries the count keys, pushes keep their own keys,
quarantined records count on the row of their stream's entity; the text table."""
from __future__ import annotations

from pco_sync import summary
from pco_sync.pco import resources


def test_summary_rows_keep_inbound_keys_and_extra_push_keys():
    counts = summary.summarize(
        {"people": {"people": {"quarantined": 2}}, "households": None},
        {"people": {"people": {"created": 3, "updated": 1, "unchanged": 5, "needs_review": 1,
                               "conflicts": 0}}, "households": None},
        {"people": {"created": 4, "failed": 1, "skipped": 2, "skipped_reasons": {"x": 2}}})
    assert counts["people"] == {"created": 3, "updated": 1, "unchanged": 5, "quarantined": 2,
                                "needs_review": 1, "conflicts": 0}
    assert counts["families"] == dict.fromkeys(summary.COUNT_KEYS, 0)
    assert counts["push people"] == {"created": 4, "failed": 1, "skipped": 2}
    # every row the merges make, in merge order, then the pushes
    assert list(counts) == [*resources.entity_rows(), "push people"]
    table = summary.table(counts).splitlines()
    assert table[0].split() == ["pulled", "from", "PCO", "created", "updated", "unchanged",
                                "quarantined", "needs", "review", "conflicts"]
    assert table[2].split() == ["people", "3", "1", "5", "2", "1", "0"]
    push_head = table.index(next(line for line in table if line.startswith("pushed to PCO")))
    # pushes get their own table with their own columns
    assert table[push_head].split() == ["pushed", "to", "PCO", "created", "failed", "skipped"]
    assert table[push_head + 2].split() == ["people", "4", "1", "2"]


def test_quarantine_counts_go_to_the_row_of_the_streams_entity():
    counts = summary.summarize({"groups": {"groups": {"quarantined": 1},
                                           "group_memberships": {"quarantined": 3}}}, None)
    assert counts["groups"]["quarantined"] == 1
    assert counts["group_memberships"]["quarantined"] == 3
    assert any(line.startswith("group memberships ") for line in summary.table(counts).splitlines())


def test_the_clean_up_has_a_table_of_its_own_and_says_when_it_did_not_finish():
    counts = summary.summarize(None, None, None, None,
                               {"staged": 120, "quarantine": 3, "webhook_deliveries": 0})
    assert counts["clean-up"] == {"staged": 120, "quarantine": 3, "webhook_deliveries": 0}
    table = summary.table(counts).splitlines()
    head = table.index(next(line for line in table if line.startswith("cleaned up")))
    assert table[head].split() == ["cleaned", "up", "staged", "quarantine", "webhook",
                                   "deliveries"]
    assert table[head + 2].split() == ["clean-up", "120", "3", "0"]
    assert "clean-up" not in {e for _, rows, _ in summary.sections(counts)[:1] for e in rows}
    failed = summary.summarize(None, None, None, None, {"error": "QueryCanceled: timeout"})
    assert failed["clean-up"] == {"status": "not finished: QueryCanceled: timeout"}
    assert "clean-up" not in summary.summarize(None, None)


def test_reads_say_what_each_resource_read_from_pco():
    """The run's own windows (a manual run reads from where the last pull reached, not
    Airflow's data interval), whole reads, and what was not read."""
    window = {"mode": "window", "window_start": "2026-12-06T09:40:00.123+00:00",
              "window_end": "2026-12-06T10:02:11.5+00:00"}
    extracted = {"people": {"people": window, "emails": window},
                 "households": {"households": {"mode": "snapshot", "records": 3}},
                 "groups": None}
    assert summary.reads(extracted, {"groups": "not due this run"}) == {
        "people": "changes from 2026-12-06 09:40:00 UTC to 2026-12-06 10:02:11 UTC",
        "households": "whole", "groups": "not read: not due this run"}
