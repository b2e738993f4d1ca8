-- What the people merge did, for the run summary.
SELECT count(*) FILTER (WHERE outcome = 'created')       AS created,
       count(*) FILTER (WHERE outcome = 'updated')       AS updated,
       count(*) FILTER (WHERE outcome = 'unchanged')     AS unchanged,
       count(*) FILTER (WHERE outcome = 'needs_review')  AS needs_review,
       (SELECT count(*) FROM merge_field_checks WHERE conflict) AS conflicts
  FROM merge_people;
