"""
# pco_sync: Planning Center Online and the church database, every 15 minutes

Every run is one sync. Its tasks and their counts are the sync history: open a run and its
**Sync summary** tab says what it pulled from PCO, what it pushed to PCO and which tasks did
not finish.

## What a run does
1. **ensure_schema** applies the church-database migrations this database has not applied
   yet (usually none: then it changes nothing and locks nothing).
2. **extract** (one task per resource: people, households, groups, teams, events; pool
   `pco_api`, one slot, because PCO's rate limit is per account) reads PCO into
   `pco_staging`. A scheduled run reads what changed in its 15-minute data interval.
   Some things PCO cannot tell by time are read whole on a schedule instead: households
   every 6 hours (the run holding 00:00, 06:00, 12:00, 18:00 UTC), groups and Services
   teams every 6 hours half an hour later, people whole once a day (02:00 UTC: the only way
   to see who was deleted in PCO), calendar events whole once a day (03:00 UTC).
   A run triggered by hand reads households, groups and teams whole; other scheduled runs
   skip them. The first run on a new database reads everything.
3. **validate** checks each record (names, emails, phone numbers, dates, ids...). A record
   that fails is quarantined in `sync.quarantine` with the reason and its raw data; the rest
   go on. The run stops before merging anything when the batch as a whole looks wrong: a
   full read with far fewer people or groups than are linked here (an outage, not people
   leaving), a large share of records failing, or a groups snapshot ending many memberships
   at once.
4. **merge** (people, then families, groups, Services teams, events) matches PCO records to
   the church's own and applies what changed. Local edits are kept: when both sides changed
   a field, it is a conflict (`sync.conflicts`) and the local value stays. Ambiguous
   matches wait in `sync.match_review`. People and families PCO no longer has go to
   `sync.removed_in_pco`; nothing local is deleted.
5. **push** (people, families, group memberships; pool `pco_api`) sends the church
   database's own changes to PCO, exactly once. A record PCO refuses goes to
   `sync.push_failures` and is retried later; the run still succeeds.
6. **clean_up** deletes staged copies a newer one replaced and settled rows past their
   retention (Variables `pco_sync_staging_keep_runs`, `pco_sync_retention_days`), so the
   church database stays the size of the church's data over years of runs.
7. **summarize** counts created, updated, unchanged, quarantined, needing review,
   conflicts and removed per entity, what each push did and what the clean-up deleted.

## Running it by hand
Trigger with a config to change what a run does:
- `full_refresh`: read everything from PCO, not just the data interval.
- `resources`: which of people, households, groups, teams, events to read.
- `accept_mass_leaves`: let a groups or teams snapshot end more than 20% of the current
  memberships at once (check in PCO first that they really left).
- `accept_quarantine`: let this run through the quarantine-share gate (more than 20% of a
  stream's records failing their checks) after a person checked the quarantined records.
- `accept_mass_push`: let the push create, change or delete more in PCO than its safety
  gate allows (500 records of a kind, or a quarter of what is linked: the Variables
  `pco_sync_push_max_changes` and `pco_sync_push_max_share`); check a dry run first.
- `full_push`: retry every failed push now instead of after its backoff.
- `dry_run`: the push lists the requests it would make and sends none (the pull and
  the merges still run and write to the church database).

`airflow backfill create --dag-id pco_sync --from-date ... --to-date ...` makes one run per
15-minute interval, each re-reading exactly its window.

## Connections
`pco_default` (Planning Center: base URL, application id, secret), `church_db` (postgres),
pool `pco_api`. A failed task's error says why; a quality gate or a PCO refusal fails at
once, without retries. Optional `pco_sync_smtp` and `pco_sync_alert_webhook` send failure
alerts; 4 failed runs in a row pause the DAG.
"""
from __future__ import annotations

from pco_sync.airflow import sync_dag

# One DAG per church of churches.yaml (without the file: the one DAG pco_sync), spread over
# this file and dags/pco_sync_shard_<k>.py by a stable hash of the slug, so that no parse
# builds more than a share of 1,000 churches; this file holds shard 0 and the default
# church. A church taken out of the file is gone from the next parse (its runs and database
# stay); a broken entry is that church's alone: its DAG fails at once saying why.
sync_dag.build_file(globals(), 0, __doc__)
