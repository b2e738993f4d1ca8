-- Current PCO-backed members here, per group of one kind (Group or Team).
SELECT groups.pco_id, count(*)
  FROM church.group_memberships AS memberships
  JOIN church.groups AS groups ON groups.id = memberships.group_id
 WHERE groups.pco_type = %(kind)s AND memberships.ended_at IS NULL
   AND memberships.pco_id IS NOT NULL
 GROUP BY groups.pco_id
