-- Outcomes the save step turned into failures (a PCO id linked elsewhere), or that failed.
SELECT results.entity, results.key, results.operation, results.detail
  FROM push_results AS results
 WHERE NOT results.ok
