-- The outcomes of one batch of writes, COPY'd here before the save step reads them.
CREATE TEMP TABLE IF NOT EXISTS push_results (
    entity     text,
    key        text,
    operation  text,
    local_id   bigint,
    subject    bigint,   -- the record counted in the summary (person, family, membership)
    ok         boolean,
    unsure     boolean,  -- may have been applied: the journal row stays
    found      boolean,  -- not sent: an earlier attempt's record, found by a lookup
    pco_id     text,
    method     text,
    path       text,
    status     integer,
    detail     text,
    sent       jsonb,    -- what the agreed state becomes on success
    meta       jsonb,
    response   jsonb
)
