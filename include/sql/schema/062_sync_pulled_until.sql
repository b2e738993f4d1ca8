-- How far each stream's merged pulls reach: the end of the last merged window, or the time
-- a merged whole read started. A run without a data interval, or one triggered by hand,
-- reads from here up to the moment it starts, so a change made in PCO a minute before a
-- manual run is in it.
CREATE TABLE IF NOT EXISTS sync.pulled_until (
    stream     text PRIMARY KEY,
    pulled_to  timestamptz NOT NULL,
    run_id     text NOT NULL,
    merged_at  timestamptz NOT NULL DEFAULT now()
);
