-- The email rung links only when the names agree (merge/people/match.sql); an email held
-- only by local people of another name sends the PCO person to review with this reason.
ALTER TABLE sync.match_review DROP CONSTRAINT IF EXISTS match_review_reason_check;
ALTER TABLE sync.match_review ADD CONSTRAINT match_review_reason_check CHECK (reason IN (
    'several local candidates',
    'candidate already linked to another PCO person',
    'several PCO people match the same local person',
    'email matches a local person of another name'));
