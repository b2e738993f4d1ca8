-- Comments (docs/schema.md) for the tables of 080 (team assignments) and 082 (Planning
-- Center OAuth), which came after 085 commented the rest.
COMMENT ON TABLE sync.team_assignments IS
    'PCO''s person team position assignments as last seen, one row each: replaced per team by each teams snapshot and kept in step by the push, which sends a position a local member holds only when no row here has it.';
COMMENT ON COLUMN sync.team_assignments.pco_id IS 'The assignment''s id in PCO Services.';
COMMENT ON COLUMN sync.team_assignments.group_id IS 'The team (church.groups, pco_type Team).';
COMMENT ON COLUMN sync.team_assignments.person_pco_id IS 'The PCO person assigned.';
COMMENT ON COLUMN sync.team_assignments.position_pco_id IS 'The team position (church.group_positions.pco_id).';
COMMENT ON COLUMN sync.team_assignments.seen_at IS 'When a snapshot or the push last recorded it.';

COMMENT ON TABLE sync.pco_oauth IS
    'A church connected with Planning Center (OAuth): its tokens, encrypted with Airflow''s Fernet key, and who connected it. One row per church; refreshed by one process at a time.';
COMMENT ON COLUMN sync.pco_oauth.church IS 'The church''s slug (default for a single church).';
COMMENT ON COLUMN sync.pco_oauth.access_token IS 'The current access token, encrypted (it lasts two hours).';
COMMENT ON COLUMN sync.pco_oauth.refresh_token IS 'The refresh token, encrypted: PCO takes it once, so each refresh stores the next one before anything else.';
COMMENT ON COLUMN sync.pco_oauth.expires_at IS 'When the access token ends; it is refreshed a few minutes before.';
COMMENT ON COLUMN sync.pco_oauth.scopes IS 'The PCO products the person who connected granted (people, groups, calendar, services).';
COMMENT ON COLUMN sync.pco_oauth.organization_id IS 'The PCO organization the tokens belong to; a reconnect to another one is refused.';
COMMENT ON COLUMN sync.pco_oauth.organization_name IS 'That organization''s name, as PCO gives it.';
COMMENT ON COLUMN sync.pco_oauth.pco_person_id IS 'The PCO person who approved the connection (requests act as them).';
COMMENT ON COLUMN sync.pco_oauth.pco_person_name IS 'Their name, as PCO gives it.';
COMMENT ON COLUMN sync.pco_oauth.connected_by IS 'The Airflow user who pressed Connect.';
COMMENT ON COLUMN sync.pco_oauth.connected_at IS 'When the church was (re)connected.';
COMMENT ON COLUMN sync.pco_oauth.refreshed_at IS 'When the tokens were last refreshed.';
COMMENT ON COLUMN sync.pco_oauth.refreshes IS 'Refreshes since the last connect.';
COMMENT ON COLUMN sync.pco_oauth.disconnected_at IS 'When PCO refused the refresh token (revoked, or used twice): the church must connect again. NULL while connected.';
COMMENT ON COLUMN sync.pco_oauth.disconnect_reason IS 'PCO''s answer when it refused the refresh token.';
