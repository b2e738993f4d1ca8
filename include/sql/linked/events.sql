-- Local events linked to PCO calendar events.
SELECT events.pco_id FROM church.events AS events WHERE events.pco_id IS NOT NULL
