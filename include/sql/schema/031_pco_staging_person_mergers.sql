-- PCO's merge history (GET /people/v2/person_mergers), read with people on a created_at
-- window: which PCO person a merged-away id lives on as. Same key as the other streams.
CREATE TABLE IF NOT EXISTS pco_staging.person_mergers (
    run_id          text        NOT NULL,
    pco_id          text        NOT NULL,
    pco_updated_at  timestamptz,
    record          jsonb       NOT NULL,
    loaded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, pco_id)
);
