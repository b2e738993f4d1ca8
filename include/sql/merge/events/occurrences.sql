-- Event instances into occurrences of their (now merged) events, by PCO id. An instance
-- whose event is not here (its event record was quarantined) is skipped until a later run.
DROP TABLE IF EXISTS merge_occurrences;
CREATE TEMP TABLE merge_occurrences (
    pco_id         text PRIMARY KEY,
    occurrence_id  bigint,
    event_id       bigint,
    outcome        text NOT NULL   -- linked, new, skipped, then created/updated/unchanged; removed
) ON COMMIT DROP;

INSERT INTO merge_occurrences (pco_id, occurrence_id, event_id, outcome)
SELECT i.pco_id, o.id, e.id,
       CASE WHEN e.id IS NULL THEN 'skipped' WHEN o.id IS NULL THEN 'new' ELSE 'linked' END
  FROM merge_instances_stage i
  LEFT JOIN church.events e ON e.pco_id = i.event_pco_id
  LEFT JOIN church.event_occurrences o ON o.pco_id = i.pco_id;

WITH created AS (
    INSERT INTO church.event_occurrences (event_id, pco_id, starts_at, ends_at, all_day,
                                          location, recurrence_description)
    SELECT m.event_id, i.pco_id, i.starts_at, i.ends_at, i.all_day, i.location,
           i.recurrence_description
      FROM merge_occurrences m
      JOIN merge_instances_stage i USING (pco_id)
     WHERE m.outcome = 'new'
    RETURNING id, pco_id
)
UPDATE merge_occurrences m
   SET occurrence_id = c.id, outcome = 'created'
  FROM created c
 WHERE m.pco_id = c.pco_id;

WITH updated AS (
    UPDATE church.event_occurrences o
       SET event_id = m.event_id, starts_at = i.starts_at, ends_at = i.ends_at,
           all_day = i.all_day, location = i.location,
           recurrence_description = i.recurrence_description, removed_in_pco_at = NULL
      FROM merge_occurrences m
      JOIN merge_instances_stage i USING (pco_id)
     WHERE m.outcome = 'linked' AND o.id = m.occurrence_id
       AND (o.event_id, o.starts_at, o.ends_at, o.all_day, o.location,
            o.recurrence_description, o.removed_in_pco_at)
           IS DISTINCT FROM (m.event_id, i.starts_at, i.ends_at, i.all_day, i.location,
                             i.recurrence_description, NULL::timestamptz)
    RETURNING o.id
)
UPDATE merge_occurrences m
   SET outcome = 'updated'
  FROM updated u
 WHERE m.occurrence_id = u.id;

UPDATE merge_occurrences SET outcome = 'unchanged' WHERE outcome = 'linked';

-- An instance PCO dropped (a date taken out of a series): kept, unlinked, marked.
WITH gone AS (
    UPDATE church.event_occurrences o
       SET pco_id = NULL, removed_in_pco_at = now()
      FROM pco_staging.gone x
     WHERE x.run_id = current_setting('pco_sync.run_id') AND x.stream = 'event_instances'
       AND o.pco_id = x.pco_id
    RETURNING o.id, o.event_id, x.pco_id
)
INSERT INTO merge_occurrences (pco_id, occurrence_id, event_id, outcome)
SELECT pco_id, id, event_id, 'removed' FROM gone;
