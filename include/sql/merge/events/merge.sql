-- Events by PCO id. New PCO events become church events (origin 'pco'). PCO owns the
-- title of every linked event, and the description and Church Center visibility of the
-- ones it made; a local event staff linked keeps its own description. Dates and location
-- come from the occurrences (events/dates.sql).
DROP TABLE IF EXISTS merge_events;
CREATE TEMP TABLE merge_events (
    pco_id    text PRIMARY KEY,
    event_id  bigint,
    outcome   text NOT NULL   -- linked, new, then created/updated/unchanged; removed
) ON COMMIT DROP;

INSERT INTO merge_events (pco_id, event_id, outcome)
SELECT s.pco_id, e.id, CASE WHEN e.id IS NULL THEN 'new' ELSE 'linked' END
  FROM merge_events_stage s
  LEFT JOIN church.events e ON e.pco_id = s.pco_id;

WITH created AS (
    INSERT INTO church.events (pco_id, origin, name, description, visible_in_church_center)
    SELECT s.pco_id, 'pco', s.name, s.description, s.visible
      FROM merge_events m
      JOIN merge_events_stage s USING (pco_id)
     WHERE m.outcome = 'new'
    RETURNING id, pco_id
)
UPDATE merge_events m
   SET event_id = c.id, outcome = 'created'
  FROM created c
 WHERE m.pco_id = c.pco_id;

WITH wanted AS (
    SELECT m.event_id, s.name,
           CASE WHEN e.origin = 'pco' THEN s.description ELSE e.description END AS description,
           CASE WHEN e.origin = 'pco' THEN s.visible
                ELSE e.visible_in_church_center END AS visible
      FROM merge_events m
      JOIN merge_events_stage s USING (pco_id)
      JOIN church.events e ON e.id = m.event_id
     WHERE m.outcome = 'linked'
),
updated AS (
    UPDATE church.events e
       SET name = w.name, description = w.description, visible_in_church_center = w.visible
      FROM wanted w
     WHERE e.id = w.event_id
       AND (e.name, e.description, e.visible_in_church_center)
           IS DISTINCT FROM (w.name, w.description, w.visible)
    RETURNING e.id
)
UPDATE merge_events m
   SET outcome = 'updated'
  FROM updated u
 WHERE m.event_id = u.id;

UPDATE merge_events SET outcome = 'unchanged' WHERE outcome = 'linked';

-- Deleted in PCO (missing from the full snapshot, 404 when asked): the event and its
-- occurrences stay, unlinked, and the unlink is logged.
WITH gone AS (
    SELECT e.id, e.pco_id
      FROM church.events e
      JOIN pco_staging.gone x
        ON x.run_id = current_setting('pco_sync.run_id') AND x.stream = 'events'
       AND x.pco_id = e.pco_id
),
occurrences AS (
    UPDATE church.event_occurrences o
       SET pco_id = NULL
      FROM gone
     WHERE o.event_id = gone.id AND o.pco_id IS NOT NULL
    RETURNING o.id
),
unlinked AS (
    UPDATE church.events e
       SET pco_id = NULL
      FROM gone
     WHERE e.id = gone.id
    RETURNING e.id, gone.pco_id
)
INSERT INTO merge_events (pco_id, event_id, outcome)
SELECT pco_id, id, 'removed' FROM unlinked;

INSERT INTO sync.event_links (event_id, pco_id, action, reason, run_id)
SELECT event_id, pco_id, 'unlinked', 'deleted in PCO (absent from full snapshot; 404 when asked)',
       current_setting('pco_sync.run_id')
  FROM merge_events
 WHERE outcome = 'removed';

INSERT INTO sync.removed_in_pco (entity, local_id, pco_id, reason, run_id)
SELECT 'event', event_id, pco_id, 'absent from full snapshot; 404 when asked',
       current_setting('pco_sync.run_id')
  FROM merge_events
 WHERE outcome = 'removed'
ON CONFLICT (entity, local_id) WHERE resolved_at IS NULL DO NOTHING;
