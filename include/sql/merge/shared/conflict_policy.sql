-- This transaction's conflict policies (a JSON object from field group to policy), read by
-- sync.conflict_policy; local to the transaction, so a later merge never inherits them.
SELECT set_config('pco_sync.conflict_policy', %(policy)s, true);
