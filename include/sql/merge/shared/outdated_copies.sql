-- This run's staged records of {table} that are older than a copy another run has already
-- merged (sync.merged_copies): left out of this merge, as the candidates files say. The
-- run id comes from current_setting('pco_sync.run_id').
DROP TABLE IF EXISTS merge_outdated_copies;
CREATE TEMP TABLE merge_outdated_copies ON COMMIT DROP AS
SELECT s.pco_id
  FROM {table} s
  JOIN sync.merged_copies c
    ON c.stream = {stream}
   AND c.pco_id = s.pco_id
 WHERE s.run_id = current_setting('pco_sync.run_id')
   AND c.read_at > s.loaded_at;
ALTER TABLE merge_outdated_copies ADD PRIMARY KEY (pco_id);
