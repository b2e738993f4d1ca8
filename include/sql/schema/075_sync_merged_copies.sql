-- When the copy of each PCO record last merged was read from PCO (its staging row's
-- loaded_at), for the streams two kinds of run merge: the 15-minute runs and the webhook
-- batches. A run merging after another must not put back an older copy than the one
-- already merged (a 15-minute run that staged a person before a webhook batch read the
-- person's newer edit). PCO's updated_at cannot tell: a person's email or phone number
-- changes without it.
CREATE TABLE IF NOT EXISTS sync.merged_copies (
    stream   text        NOT NULL,
    pco_id   text        NOT NULL,
    read_at  timestamptz NOT NULL,
    run_id   text        NOT NULL,
    PRIMARY KEY (stream, pco_id)
);
