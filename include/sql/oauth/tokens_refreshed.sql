-- A refresh's new tokens, stored (and committed) before the new access token is used.
UPDATE sync.pco_oauth
   SET access_token = %(access_token)s, refresh_token = %(refresh_token)s,
       expires_at = %(expires_at)s, scopes = %(scopes)s, refreshed_at = now(),
       refreshes = refreshes + 1
 WHERE church = %(church)s
