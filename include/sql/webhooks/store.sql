-- The receiver's one statement: store a request's deliveries, each once. A delivery seen
-- before (its EventDelivery id, or its payload's idempotency token) is left as it is.
-- Returns how many were new, and how many of those seen before are still waiting (the
-- receiver then records an asset event again, so a retried delivery is never stranded).
WITH incoming AS (
    SELECT *
      FROM unnest(%(delivery_ids)s::text[], %(tokens)s::text[], %(names)s::text[],
                  %(types)s::text[], %(ids)s::text[], %(event_times)s::text[],
                  %(attempts)s::int[], %(payloads)s::text[])
           AS d (delivery_id, idempotency_token, name, pco_type, pco_id, event_time, attempt,
                 payload)
),
stored AS (
    INSERT INTO sync.webhook_deliveries
           (delivery_id, idempotency_token, name, pco_type, pco_id, event_time, attempt, payload)
    SELECT delivery_id, idempotency_token, name, pco_type, pco_id,
           sync.try_timestamptz(event_time), attempt, payload::jsonb
      FROM incoming
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM stored) AS new,
       (SELECT count(*) FROM sync.webhook_deliveries AS w
          JOIN incoming AS i ON i.delivery_id = w.delivery_id
                             OR i.idempotency_token = w.idempotency_token
         WHERE w.processed_at IS NULL) AS waiting
