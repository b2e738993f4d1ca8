"""Every threshold of the sync, once: what counts as an outage, a bad batch, a mass leave.
The extract, the quality gates and the docs all read them from here.
"""
from __future__ import annotations

# A snapshot (a whole read) of a stream holding fewer than this share of the records linked
# here looks like an outage answering empty pages, not deletions: the gate stops the run,
# and the extract does not spend requests confirming what is missing.
MIN_SNAPSHOT_SHARE = 0.5

# More than this share of a stream's records failing their row checks stops the run, once
# at least QUARANTINE_MIN_ROWS were staged (a 3-person window with one typo does not).
MAX_QUARANTINE_SHARE = 0.2
QUARANTINE_MIN_ROWS = 20

# A groups or teams snapshot ending more than this share of current memberships at once
# (and at least MASS_LEAVE_MIN of them) stops the run unless it accepts mass leaves.
MAX_LEAVE_SHARE = 0.2
MASS_LEAVE_MIN = 10

# A group's member list under this share of PCO's own count for the group is 'short' (not
# used); more than this share of the groups failing to read fails the extract (PCO is down).
SHORT_LIST_SHARE = 0.5
MAX_FAILED_PARENTS_SHARE = 0.5

# Linked records a snapshot missed that one run GETs to tell deleted (404) from skipped.
CONFIRM_ABSENT_MAX = 100

# A push that would create, change or delete more records of one kind than this (or more
# than this share of the linked records, once at least PUSH_GATE_MIN_CHANGES) sends nothing
# and stops the run until a run accepts it (accept_mass_push). Defaults of the Variables
# pco_sync_push_max_changes and pco_sync_push_max_share.
PUSH_MAX_CHANGES = 500
PUSH_MAX_SHARE = 0.25
PUSH_GATE_MIN_CHANGES = 25

# Webhooks (pco_sync.webhooks). A delivery body over WEBHOOK_MAX_BODY_BYTES is refused (413)
# unread: PCO's are a few kilobytes (one record as a JSON string). The drain takes at most
# WEBHOOK_BATCH deliveries per batch (one read per record, then one merge) and
# WEBHOOK_MAX_BATCHES batches per run, so one run never holds the PCO pool for hours.
WEBHOOK_MAX_BODY_BYTES = 1_048_576
WEBHOOK_BATCH = 500
WEBHOOK_MAX_BATCHES = 40
# Deliveries waiting longer than this (or any that failed) are a backlog the PCO Sync page
# shows: twice the minute webhooks promise.
WEBHOOK_BACKLOG_SECONDS = 120

# Retention (pco_sync.retention): every staged copy of the last STAGING_KEEP_RUNS runs is
# kept for diagnosis (three days of 15-minute runs), settled rows for RETENTION_DAYS; the
# clean-up deletes RETENTION_BATCH rows per short transaction. Defaults of the Variables
# pco_sync_staging_keep_runs and pco_sync_retention_days.
STAGING_KEEP_RUNS = 288
RETENTION_DAYS = 30
RETENTION_BATCH = 5000

# Timeouts on the church database (defaults of the Variables pco_sync_statement_timeout and
# pco_sync_lock_timeout, in seconds): no statement of a task runs longer than
# STATEMENT_TIMEOUT (a runaway plan fails the task, whose retry starts over), and a
# migration waits at most LOCK_TIMEOUT for a table the church application holds, then fails
# naming the session in its way, instead of waiting (and making everyone wait) forever.
STATEMENT_TIMEOUT = 1800
LOCK_TIMEOUT = 60
