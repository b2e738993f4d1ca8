-- A church's tokens as stored (no lock).
SELECT access_token, refresh_token, expires_at, disconnected_at, disconnect_reason, scopes,
       coalesce(refreshed_at, connected_at) AS issued_at
  FROM sync.pco_oauth
 WHERE church = %(church)s
