-- Exactly once across a crash (issue 22). The push creates a PCO person with remote_id = the
-- local id, then saves the link. A kill in between leaves a PCO person the church database
-- does not know is its own; the next pull must recognise it, not create a second local
-- person. remote_id alone is no proof (imports from other systems set it too), so the push
-- keeps a lasting record of every person it asked PCO to create: a PCO person whose
-- remote_id names one of them is that person (merge/people/match.sql), and a local person the
-- sync created from such a PCO person before this was known is folded back into the original
-- (merge/people/repair_duplicates.sql).
CREATE TABLE IF NOT EXISTS sync.sent_creates (
    entity         text NOT NULL CHECK (entity IN ('person')),
    local_id       bigint NOT NULL,
    run_id         text NOT NULL,
    first_sent_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity, local_id)
);

-- What the push already knew it had sent: creates in flight (the journal) and creates that
-- failed, which is where a duplicate made before this migration left its original ("PCO
-- person ... is already linked to local person ...").
INSERT INTO sync.sent_creates (entity, local_id, run_id, first_sent_at)
SELECT DISTINCT ON (sent.key) 'person', sent.key::bigint, sent.run_id, sent.at
  FROM (SELECT j.key, j.run_id, j.sent_at AS at
          FROM sync.push_pending AS j
         WHERE j.entity = 'person' AND j.operation = 'create'
        UNION ALL
        SELECT f.key, f.run_id, f.first_failed_at
          FROM sync.push_failures AS f
         WHERE f.entity = 'person' AND f.operation = 'create') AS sent
 WHERE sent.key ~ '^[0-9]{1,18}$'
 ORDER BY sent.key, sent.at
ON CONFLICT DO NOTHING;

-- The repair looks up staged PCO people by remote_id (few: only the ones the push wrote).
CREATE INDEX IF NOT EXISTS people_by_remote_id
    ON pco_staging.people ((record -> 'attributes' ->> 'remote_id'), loaded_at DESC)
 WHERE record -> 'attributes' ->> 'remote_id' IS NOT NULL;

-- The reasons a remote_id sends a PCO person to review instead of linking it.
ALTER TABLE sync.match_review DROP CONSTRAINT IF EXISTS match_review_reason_check;
ALTER TABLE sync.match_review ADD CONSTRAINT match_review_reason_check CHECK (reason IN (
    'several local candidates',
    'candidate already linked to another PCO person',
    'several PCO people match the same local person',
    'email matches a local person of another name',
    'remote_id names a local person linked to another PCO person',
    'remote_id names a local person deleted here',
    'duplicate of the local person its remote_id names'));
