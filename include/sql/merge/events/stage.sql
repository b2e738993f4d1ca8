-- This run's PCO events and event instances, minus quarantined rows. An instance comes with
-- its event side-loaded (include=event), so an event is known even when only its instance
-- changed in the window; the event's own record wins when both are staged.
DROP TABLE IF EXISTS merge_instances_stage;
CREATE TEMP TABLE merge_instances_stage ON COMMIT DROP AS
SELECT s.pco_id,
       s.record -> 'relationships' -> 'event' -> 'data' ->> 'id'             AS event_pco_id,
       sync.try_timestamptz(s.record -> 'attributes' ->> 'starts_at')        AS starts_at,
       sync.try_timestamptz(s.record -> 'attributes' ->> 'ends_at')          AS ends_at,
       coalesce(sync.try_bool(s.record -> 'attributes' ->> 'all_day_event'), false) AS all_day,
       nullif(btrim(s.record -> 'attributes' ->> 'location'), '')            AS location,
       s.record -> 'attributes' ->> 'recurrence_description'                 AS recurrence_description,
       s.record
  FROM pco_staging.event_instances s
 WHERE s.run_id = current_setting('pco_sync.run_id')
   AND NOT EXISTS (SELECT 1 FROM sync.quarantine q
                    WHERE q.run_id = s.run_id AND q.stream = 'event_instances'
                      AND q.pco_id = s.pco_id AND q.resolved_at IS NULL);
ALTER TABLE merge_instances_stage ADD PRIMARY KEY (pco_id);
ANALYZE merge_instances_stage;

DROP TABLE IF EXISTS merge_events_stage;
CREATE TEMP TABLE merge_events_stage ON COMMIT DROP AS
WITH candidates AS (
    SELECT s.pco_id, s.record, 0 AS preference
      FROM pco_staging.events s
     WHERE s.run_id = current_setting('pco_sync.run_id')
       AND NOT EXISTS (SELECT 1 FROM sync.quarantine q
                        WHERE q.run_id = s.run_id AND q.stream = 'events'
                          AND q.pco_id = s.pco_id AND q.resolved_at IS NULL)
    UNION ALL
    SELECT e.item ->> 'id', e.item, 1
      FROM merge_instances_stage i
     CROSS JOIN LATERAL jsonb_array_elements(
               CASE jsonb_typeof(i.record -> 'included' -> 'event')
                   WHEN 'array' THEN i.record -> 'included' -> 'event'
                   ELSE '[]' END) AS e(item)
)
SELECT DISTINCT ON (c.pco_id)
       c.pco_id,
       nullif(btrim(c.record -> 'attributes' ->> 'name'), '')                     AS name,
       c.record -> 'attributes' ->> 'description'                                 AS description,
       sync.try_bool(c.record -> 'attributes' ->> 'visible_in_church_center')    AS visible
  FROM candidates c
 WHERE c.pco_id IS NOT NULL
   AND nullif(btrim(c.record -> 'attributes' ->> 'name'), '') IS NOT NULL
 ORDER BY c.pco_id, c.preference;
ALTER TABLE merge_events_stage ADD PRIMARY KEY (pco_id);
ANALYZE merge_events_stage;
