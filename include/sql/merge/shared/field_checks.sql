-- Every three-way field decision of this transaction that may be a conflict, from any
-- step (people, contacts, families); merge/shared/record_conflicts.sql turns them into sync.conflicts.
DROP TABLE IF EXISTS merge_field_checks;
CREATE TEMP TABLE merge_field_checks (
    entity       text NOT NULL,      -- person, email, phone_number, address, family
    local_id     bigint NOT NULL,
    pco_id       text,
    field        text NOT NULL,
    conflict     boolean NOT NULL,
    base_value   text,
    pco_value    text,
    local_value  text,
    policy       text,               -- the policy that settled the conflict (NULL: none)
    winner       text                -- the side it gave the field to: pco or local
) ON COMMIT DROP;
