-- Conflict policies (issue 11): per field group, what the merge does when both sides changed
-- a field since they last agreed. manual (the default): the local value stays and the
-- conflict waits for staff. pco_wins and local_wins settle it at once as
-- sync.resolve_conflict(id, 'pco' | 'local') would: the agreed state becomes PCO's value
-- either way, so with local_wins the next push sends the local one. newest_wins: the side
-- whose record changed last wins (PCO's updated_at against the church row's, kept by the
-- touch_updated_at triggers); a tie or an unknown time stays manual.
-- A run's policies reach the merge as the transaction setting pco_sync.conflict_policy, a
-- JSON object from group to policy (merge/run.py checks and sets it).

-- PCO's times are read with sync.try_timestamptz (042_groups_staging.sql): a bad one means
-- "unknown", never an aborted merge.

-- The field group a conflict belongs to (the keys of pco_sync.conflict_policy).
CREATE OR REPLACE FUNCTION sync.conflict_group(entity text, field text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
           WHEN entity = 'person'
                AND field IN ('first_name', 'last_name', 'nickname', 'middle_name') THEN 'names'
           WHEN entity = 'person' THEN 'birthdate_gender_status'
           WHEN entity = 'email' THEN 'emails'
           WHEN entity = 'phone_number' THEN 'phone_numbers'
           WHEN entity = 'address' THEN 'addresses'
           WHEN entity = 'family' THEN 'family'
           END
$$;

-- This transaction's policy for a field (manual unless the setting names its group).
CREATE OR REPLACE FUNCTION sync.conflict_policy(entity text, field text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('pco_sync.conflict_policy', true), '')::jsonb
                      ->> sync.conflict_group(entity, field),
                    'manual')
$$;

-- Which side a policy gives a conflicting field to: 'pco', 'local', or NULL (manual).
CREATE OR REPLACE FUNCTION sync.policy_winner(policy text, pco_at timestamptz,
                                              local_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE policy
           WHEN 'pco_wins' THEN 'pco'
           WHEN 'local_wins' THEN 'local'
           WHEN 'newest_wins' THEN CASE WHEN pco_at > local_at THEN 'pco'
                                        WHEN local_at > pco_at THEN 'local' END
           END
$$;

-- sync.three_way with this transaction's policies applied: a conflict a policy settles is
-- no conflict (conflict false), PCO's value is taken when PCO wins, and the agreed value is
-- PCO's either way; policy and winner say who settled it (NULL: no policy did). Policies
-- are looked up only for conflicting fields.
CREATE OR REPLACE FUNCTION sync.three_way_settled(pco jsonb, local jsonb, base jsonb,
                                                  entity text, pco_at timestamptz,
                                                  local_at timestamptz)
RETURNS TABLE (field text, pco_value text, local_value text, base_value text,
               take_pco boolean, conflict boolean, agreed_value text,
               policy text, winner text)
LANGUAGE sql STABLE AS $$
    SELECT t.field, t.pco_value, t.local_value, t.base_value,
           t.take_pco OR coalesce(w.winner = 'pco', false),
           t.conflict AND w.winner IS NULL,
           CASE WHEN w.winner IS NULL THEN t.agreed_value ELSE t.pco_value END,
           CASE WHEN w.winner IS NOT NULL THEN w.policy END,
           w.winner
      FROM sync.three_way(pco, local, base) t
     CROSS JOIN LATERAL (
           SELECT p.policy, sync.policy_winner(p.policy, pco_at, local_at) AS winner
             FROM (SELECT CASE WHEN t.conflict
                               THEN sync.conflict_policy(entity, t.field) END AS policy) p
           ) w
$$;
