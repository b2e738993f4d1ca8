-- Linked records PCO no longer has: absent from a full snapshot that passed the quality gate,
-- or merged away into a PCO record that is linked to another local one. The local record
-- stays (staff decide: delete it, or re-link it); the push never re-creates it in PCO while
-- its row here is open, so a deletion in PCO is not undone by the next run.
CREATE TABLE IF NOT EXISTS sync.removed_in_pco (
    entity       text NOT NULL,     -- person, family, ...
    local_id     bigint NOT NULL,
    pco_id       text NOT NULL,
    reason       text NOT NULL,     -- 'absent from full snapshot', 'merged in PCO into ...'
    run_id       text NOT NULL,
    detected_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS removed_in_pco_open_once
    ON sync.removed_in_pco (entity, local_id) WHERE resolved_at IS NULL;
