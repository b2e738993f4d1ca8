-- A person approved the church in Planning Center: its tokens replace any earlier ones
-- (a reconnect clears the disconnection).
INSERT INTO sync.pco_oauth AS o
       (church, access_token, refresh_token, expires_at, scopes, organization_id,
        organization_name, pco_person_id, pco_person_name, connected_by)
VALUES (%(church)s, %(access_token)s, %(refresh_token)s, %(expires_at)s, %(scopes)s,
        %(organization_id)s, %(organization_name)s, %(pco_person_id)s, %(pco_person_name)s,
        %(connected_by)s)
ON CONFLICT (church) DO UPDATE
   SET access_token = excluded.access_token, refresh_token = excluded.refresh_token,
       expires_at = excluded.expires_at, scopes = excluded.scopes,
       organization_id = excluded.organization_id,
       organization_name = excluded.organization_name,
       pco_person_id = excluded.pco_person_id, pco_person_name = excluded.pco_person_name,
       connected_by = excluded.connected_by, connected_at = now(), refreshed_at = NULL,
       refreshes = 0, disconnected_at = NULL, disconnect_reason = NULL
