-- Connect with Planning Center (issue 21): the authorization requests in flight. The connect
-- page (pco_sync.airflow.connect_api) stores one row per press of Connect and sends the person
-- to PCO with its state; PCO's redirect back to the callback brings the state, which is
-- taken (deleted) once: a state is single use, expires after ten minutes and belongs to the
-- church and the Airflow user who pressed Connect. Only its SHA-256 is kept.
CREATE TABLE IF NOT EXISTS sync.pco_oauth_states (
    state_sha256  text PRIMARY KEY,
    church        text NOT NULL,
    airflow_user  text NOT NULL,
    redirect_uri  text NOT NULL,
    scopes        text[] NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);

COMMENT ON TABLE sync.pco_oauth_states IS
    'Connect with Planning Center: the authorization requests in flight, one per press of '
    'Connect on the PCO Sync page. The callback takes its row once (single use); rows expire '
    'after ten minutes and are deleted by the next Connect.';
COMMENT ON COLUMN sync.pco_oauth_states.state_sha256 IS
    'SHA-256 (hex) of the random state sent to PCO; the state itself is not kept.';
COMMENT ON COLUMN sync.pco_oauth_states.church IS
    'The church being connected (its slug; default for the one church).';
COMMENT ON COLUMN sync.pco_oauth_states.airflow_user IS
    'The Airflow user who pressed Connect: only they can finish the connection.';
COMMENT ON COLUMN sync.pco_oauth_states.redirect_uri IS
    'The callback URL sent to PCO (the code is exchanged with the same one).';
COMMENT ON COLUMN sync.pco_oauth_states.scopes IS 'The scopes asked for.';
COMMENT ON COLUMN sync.pco_oauth_states.created_at IS 'When Connect was pressed.';
COMMENT ON COLUMN sync.pco_oauth_states.expires_at IS 'After this the state is refused.';
