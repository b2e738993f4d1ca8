-- A church's tokens, locked: the one process that holds the row refreshes; the others wait
-- and then read what it stored.
SELECT access_token, refresh_token, expires_at, disconnected_at, disconnect_reason, scopes,
       coalesce(refreshed_at, connected_at) AS issued_at
  FROM sync.pco_oauth
 WHERE church = %(church)s
   FOR UPDATE
