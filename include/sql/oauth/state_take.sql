-- PCO's redirect brought a state back: take it (single use, whether or not it is still good)
-- and say whether it expired.
DELETE FROM sync.pco_oauth_states
 WHERE state_sha256 = %(state_sha256)s
RETURNING church, airflow_user, redirect_uri, scopes, expires_at < now() AS expired
