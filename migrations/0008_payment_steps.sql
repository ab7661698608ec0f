-- What each provider answered about a payment, step by step: the order SWiP created
-- (with its id, which every later call names), the close, a refund. A tender's status
-- says where the payment is for the till; these rows say where it is for the provider,
-- and hold the provider's ids that reconciling needs after a crash.
--
-- Rows are appended, never changed: a dispute is investigated from them.

CREATE TABLE payment_steps (
    id           INTEGER PRIMARY KEY,
    tender_id    INTEGER NOT NULL REFERENCES tenders (id),
    provider     TEXT    NOT NULL CHECK (provider IN ('swip', 'vourity', 'flexiti', 'venue_manager')),
    -- requested, order_created, closed, cancelled, refunded, refund_failed, timed_out, lost, ...
    step         TEXT    NOT NULL CHECK (length(step) BETWEEN 1 AND 40),
    -- The provider's own id of the payment (SWiP's order id), when this step gave one.
    provider_ref TEXT,
    -- The amount this step is about, when it has one (what was closed, refunded, paid).
    amount_minor INTEGER,
    -- The provider's answer as Kassa read it (JSON), or the error it gave.
    answer       TEXT,
    at           TEXT    NOT NULL
) STRICT;

CREATE INDEX payment_steps_by_tender ON payment_steps (tender_id, id);

CREATE TRIGGER payment_steps_no_update BEFORE UPDATE ON payment_steps
BEGIN SELECT RAISE(ABORT, 'payment steps are append-only'); END;
CREATE TRIGGER payment_steps_no_delete BEFORE DELETE ON payment_steps
BEGIN SELECT RAISE(ABORT, 'payment steps are append-only'); END;
