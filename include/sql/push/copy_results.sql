-- One batch of outcomes into push_results (create_results.sql).
COPY push_results (entity, key, operation, local_id, subject, ok, unsure, found, pco_id,
                   method, path, status, detail, sent, meta, response) FROM STDIN
