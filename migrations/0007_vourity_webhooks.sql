-- Vourity webhooks: the payments this till waits for a webhook about, and every event the
-- listener accepted, recorded before it answers 2xx.
--
-- A payment's webhook token is a secret (only the URL Vourity was given carries it):
-- stored here only as its SHA-256, so the file alone cannot be used to post a webhook.
-- (Numbered 0007: 0006 belongs to another change made at the same time.)

CREATE TABLE vourity_webhook_payments (
    -- Kassa's payment id, sent as merchantReferences.paymentId.
    payment_id   TEXT NOT NULL PRIMARY KEY CHECK (length(payment_id) BETWEEN 1 AND 200),
    token_sha256 TEXT NOT NULL CHECK (length(token_sha256) = 64),
    issued_at    TEXT NOT NULL
) STRICT;

CREATE TABLE vourity_webhook_events (
    id                   INTEGER PRIMARY KEY,
    payment_id           TEXT    NOT NULL REFERENCES vourity_webhook_payments (payment_id),
    -- What identifies one event of a payment, so a repeated delivery is recorded once:
    -- the kind, and the refund's or action request's id, or the new total of a discount.
    event_key            TEXT    NOT NULL,
    kind                 TEXT    NOT NULL CHECK (kind IN ('approved', 'declined', 'cancelled', 'captured',
                                                          'refunded', 'discount_applied', 'action_requested',
                                                          'unknown')),
    msg_type             TEXT    NOT NULL,
    payment_status       TEXT,
    session_id           TEXT    NOT NULL,
    order_id             TEXT    NOT NULL,
    point_of_service_id  TEXT    NOT NULL,
    -- The approved or discounted total, or the refund's amount; and all refunded so far.
    amount_minor         INTEGER,
    total_refunded_minor INTEGER,
    currency             TEXT CHECK (currency IS NULL OR length(currency) = 3),
    -- The refund's id (refunded) or the action request's id (action_requested).
    reference            TEXT,
    -- The body as it came, for investigating a disputed payment; it holds no token.
    body                 TEXT    NOT NULL,
    received_at          TEXT    NOT NULL,
    UNIQUE (payment_id, event_key)
) STRICT;

CREATE INDEX vourity_webhook_events_by_payment ON vourity_webhook_events (payment_id, id);
