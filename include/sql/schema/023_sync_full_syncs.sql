-- The last merged full (snapshot) pull of each stream. A windowed stream that never had one
-- (a new install, or a church database restored empty) is read whole by its next run,
-- scheduled or not: a 15-minute window alone would never bring in the people already in PCO.
CREATE TABLE IF NOT EXISTS sync.full_syncs (
    stream     text PRIMARY KEY,
    run_id     text NOT NULL,
    merged_at  timestamptz NOT NULL DEFAULT now()
);
