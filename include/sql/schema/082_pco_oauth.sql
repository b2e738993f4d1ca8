-- Connect with Planning Center (issue 21): a church connected by OAuth keeps its tokens
-- here, in its own database, because every process that talks to its PCO (tasks on any
-- Celery worker, the webhooks DAG, the API server's connect page) must read the same ones
-- and refresh them one at a time (a row lock): a refresh token can be used once. Airflow 3
-- task processes cannot write connections. Tokens are encrypted with Airflow's Fernet key,
-- as Airflow stores connection secrets (pco_sync.pco.tokens).
CREATE TABLE IF NOT EXISTS sync.pco_oauth (
    church             text PRIMARY KEY,    -- the church's slug ('default' for one church)
    access_token       text NOT NULL,       -- encrypted
    refresh_token      text NOT NULL,       -- encrypted
    expires_at         timestamptz NOT NULL,
    scopes             text[] NOT NULL,     -- what the person who connected granted
    organization_id    text NOT NULL,       -- the PCO organization the tokens belong to
    organization_name  text,
    pco_person_id      text,                -- the PCO person who approved
    pco_person_name    text,
    connected_by       text,                -- the Airflow user who pressed Connect
    connected_at       timestamptz NOT NULL DEFAULT now(),
    refreshed_at       timestamptz,
    refreshes          bigint NOT NULL DEFAULT 0,
    disconnected_at    timestamptz,         -- set when PCO refused the refresh token
    disconnect_reason  text
);
