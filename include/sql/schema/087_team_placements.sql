-- Where the sync last put each Services team: a team directly under "PCO Services Teams"
-- waits there for its service type's department only when the sync put it there (its
-- service type had no department yet). One staff moved there stays, as any staff move does
-- (merge/teams/merge.sql). Until now every team sat where the sync had put it, as far as
-- can be known, so that is where each one was last put.
ALTER TABLE church.groups
    ADD COLUMN IF NOT EXISTS pco_department_id bigint
        REFERENCES church.departments (id) ON DELETE SET NULL;

UPDATE church.groups
   SET pco_department_id = department_id
 WHERE pco_type = 'Team'
   AND pco_department_id IS NULL
   AND department_id IS NOT NULL;

COMMENT ON COLUMN church.groups.pco_department_id IS
    'The department the sync last put a Services team in; NULL for groups. A team still there, directly under "PCO Services Teams", moves into its service type''s department once there is one; a team staff moved stays.';
