-- A linked event's dates are its PCO occurrences' first start and last end; its location,
-- all-day flag and recurrence those of its last occurrence. Recomputed for the events this
-- run touched (an instance changed, came or went), written only when different.
WITH touched AS (
    SELECT event_id FROM merge_events WHERE event_id IS NOT NULL
    UNION
    SELECT event_id FROM merge_occurrences WHERE event_id IS NOT NULL
),
dates AS (
    SELECT o.event_id,
           min(o.starts_at) AS starts_at,
           max(o.ends_at)   AS ends_at,
           (array_agg(o.location ORDER BY o.starts_at DESC NULLS LAST, o.id DESC))[1] AS location,
           (array_agg(o.all_day ORDER BY o.starts_at DESC NULLS LAST, o.id DESC))[1]  AS all_day,
           (array_agg(o.recurrence_description
                      ORDER BY o.starts_at DESC NULLS LAST, o.id DESC))[1]             AS recurrence
      FROM church.event_occurrences o
      JOIN touched t USING (event_id)
     WHERE o.pco_id IS NOT NULL
     GROUP BY o.event_id
),
changed AS (
    UPDATE church.events e
       SET starts_at = d.starts_at, ends_at = d.ends_at, location = d.location,
           all_day = d.all_day, recurrence_description = d.recurrence
      FROM dates d
     WHERE e.id = d.event_id AND e.pco_id IS NOT NULL
       AND (e.starts_at, e.ends_at, e.location, e.all_day, e.recurrence_description)
           IS DISTINCT FROM (d.starts_at, d.ends_at, d.location, d.all_day, d.recurrence)
    RETURNING e.id, e.pco_id
)
INSERT INTO merge_events AS m (pco_id, event_id, outcome)
SELECT pco_id, id, 'updated' FROM changed
ON CONFLICT (pco_id) DO UPDATE SET outcome = 'updated' WHERE m.outcome = 'unchanged';
