-- Where each team of this run belongs: its service type's department. A team in several
-- service types goes under its primary one (PCO's `service_type`); a team in none, or whose
-- service type has no department (PCO did not list it), goes directly under "PCO Services
-- Teams". merge.sql moves a team there when it is new or its service type changed in PCO,
-- and also a team it put directly under "PCO Services Teams" (or in no department) and
-- finds still there once its service type has a department: that is where a team waits
-- for one.
DROP TABLE IF EXISTS merge_team_departments;
CREATE TEMP TABLE merge_team_departments ON COMMIT DROP AS
WITH root AS (
    SELECT id FROM church.departments WHERE parent_id IS NULL AND name = 'PCO Services Teams'
)
SELECT s.pco_id,
       s.service_type_pco_id,
       coalesce(type_department.id, root.id)   AS department_id,
       root.id                                 AS root_id,
       type_department.id IS NOT NULL          AS in_service_type
  FROM merge_teams_stage s
 CROSS JOIN root
  LEFT JOIN church.departments type_department
    ON type_department.pco_service_type_id = s.service_type_pco_id;
ALTER TABLE merge_team_departments ADD PRIMARY KEY (pco_id);
