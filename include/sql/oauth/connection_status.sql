-- What the PCO Sync page says about a church's Planning Center connection (no tokens).
SELECT church, scopes, organization_id, organization_name, pco_person_id, pco_person_name,
       connected_by, connected_at, expires_at, refreshed_at, refreshes, disconnected_at,
       disconnect_reason
  FROM sync.pco_oauth
 WHERE church = %(church)s
