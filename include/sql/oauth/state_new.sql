-- A press of Connect: its state (as SHA-256), for ten minutes. Expired states (of any church)
-- go at the same time.
WITH expired AS (
    DELETE FROM sync.pco_oauth_states WHERE expires_at < now()
)
INSERT INTO sync.pco_oauth_states (state_sha256, church, airflow_user, redirect_uri, scopes,
                                   expires_at)
VALUES (%(state_sha256)s, %(church)s, %(airflow_user)s, %(redirect_uri)s, %(scopes)s,
        now() + make_interval(secs => %(seconds)s))
