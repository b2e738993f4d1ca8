-- The people a sync_groups scope lets the push create (empty: everyone is in scope).
CREATE TEMP TABLE IF NOT EXISTS push_scope (person_id bigint PRIMARY KEY);
DELETE FROM push_scope
