-- PCO refused the church's refresh token: the church is disconnected until someone
-- connects it again. Tokens stay (they are useless now); nothing else is touched.
UPDATE sync.pco_oauth
   SET disconnected_at = coalesce(disconnected_at, now()), disconnect_reason = %(reason)s
 WHERE church = %(church)s
