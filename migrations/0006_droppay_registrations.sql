-- DropPay registrations of POS devices: every attempt to create this till as a DropPay
-- POS device, recorded *before* the request is sent, and what became of it.
--
-- DropPay has no list endpoint and no idempotency key: a create whose answer was lost
-- cannot be looked up, and sending it again may make a second device. So the attempt is
-- written first; a row still 'sending' after its process is gone, or 'unknown', blocks a
-- new create until a manager has checked DropPay's back office and either linked the id
-- found there ('registered', how = 'linked') or confirmed that none was made
-- ('none_created'). The device's current DropPay id itself lives in pos_external_ids;
-- this table is the history of how it got there and where it went ('deleted').

CREATE TABLE droppay_registrations (
    id              INTEGER PRIMARY KEY,
    pos_id          INTEGER NOT NULL REFERENCES pos_devices (id),
    state           TEXT    NOT NULL CHECK (state IN
                        ('sending', 'unknown', 'failed', 'registered', 'none_created', 'deleted')),
    -- 'created' by this app's create call, or 'linked' by a manager to an id found in
    -- DropPay's back office (or entered by hand before it was deleted through Kassa).
    how             TEXT    NOT NULL CHECK (how IN ('created', 'linked')),
    -- The DropPay ids the request was for, as the provider account held them then.
    brand_id        TEXT    NOT NULL,
    store_id        TEXT    NOT NULL,
    -- The DropPay POS id, once known.
    droppay_pos_id  TEXT    CHECK (droppay_pos_id IS NULL OR length(trim(droppay_pos_id)) > 0),
    -- The Kassa instance (see kassa-app's instance.rs) waiting for the answer while
    -- 'sending': a row whose instance is no longer running is an answer lost.
    owner_instance  TEXT,
    started_at      TEXT    NOT NULL,
    started_by      INTEGER NOT NULL REFERENCES users (id),
    updated_at      TEXT    NOT NULL,
    -- What happened, in words for the manager (the error, or who resolved it).
    message         TEXT,
    CHECK (state NOT IN ('registered', 'deleted') OR droppay_pos_id IS NOT NULL),
    CHECK (state <> 'sending' OR owner_instance IS NOT NULL)
) STRICT;
CREATE INDEX droppay_registrations_pos ON droppay_registrations (pos_id, id);
-- At most one open attempt per POS device: the database itself refuses a second create
-- while one's outcome is not known.
CREATE UNIQUE INDEX droppay_registrations_open ON droppay_registrations (pos_id)
    WHERE state IN ('sending', 'unknown');
