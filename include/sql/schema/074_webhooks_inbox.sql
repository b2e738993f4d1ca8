-- PCO webhook deliveries (issue 13), stored by the receiver in the Airflow API server before
-- it answers PCO, and drained by the pco_sync_webhooks DAG. A delivery is a hint that a
-- record changed: processing reads that record fresh from PCO, so the payload is kept for
-- finding the record (and for staff reading the backlog), never merged as it is.
--
-- PCO retries a delivery with the same EventDelivery id (attempt 2, 3, ...) and can deliver
-- an event twice: delivery_id, and the payload's idempotency token when it has one, are
-- unique, so a delivery seen before is stored (and processed) once.
CREATE TABLE IF NOT EXISTS sync.webhook_deliveries (
    id                 bigserial   PRIMARY KEY,
    delivery_id        text        NOT NULL UNIQUE,  -- EventDelivery id, the same on retries
    idempotency_token  text,                         -- payload meta.idempotency_token
    name               text        NOT NULL,         -- people.v2.events.person.updated, ...
    pco_type           text,                         -- the payload's record: Person, Email, ...
    pco_id             text,
    event_time         timestamptz,                  -- payload meta.event_time
    attempt            integer,                      -- PCO's attempt number when first stored
    payload            jsonb       NOT NULL,         -- the payload, parsed (PCO sends a string)
    received_at        timestamptz NOT NULL DEFAULT now(),
    -- Processing: done when processed_at is set (run_id: the batch that did it). A batch
    -- that failed leaves its deliveries pending with tries + 1, the error (no secrets: an
    -- exception's type and PCO's words) and a later next_try_at; nothing is ever dropped.
    processed_at       timestamptz,
    run_id             text,
    outcome            text,                         -- read, gone, ignored: what processing did
    tries              integer     NOT NULL DEFAULT 0,
    next_try_at        timestamptz NOT NULL DEFAULT now(),
    last_error         text
);
CREATE UNIQUE INDEX IF NOT EXISTS webhook_deliveries_token
    ON sync.webhook_deliveries (idempotency_token) WHERE idempotency_token IS NOT NULL;
-- The drain's claim and the backlog count read only what is pending.
CREATE INDEX IF NOT EXISTS webhook_deliveries_pending
    ON sync.webhook_deliveries (next_try_at, id) WHERE processed_at IS NULL;
