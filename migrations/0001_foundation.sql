-- Foundation: brands, stores, POS devices, users, the audit log and installation settings.
-- Every table is STRICT so a value of the wrong type is refused instead of being coerced;
-- money (none yet) will be INTEGER minor units beside a currency code, never REAL.

CREATE TABLE brands (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL CHECK (length(trim(name)) > 0),
    -- Lower-cased name (Unicode, not just ASCII as COLLATE NOCASE), so 'MALMÖ' clashes with 'Malmö'.
    name_key    TEXT    NOT NULL,
    description TEXT,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX brands_name ON brands (name_key);

CREATE TABLE stores (
    id          INTEGER PRIMARY KEY,
    brand_id    INTEGER NOT NULL REFERENCES brands (id),
    name        TEXT    NOT NULL CHECK (length(trim(name)) > 0),
    name_key    TEXT    NOT NULL,
    country     TEXT    NOT NULL CHECK (length(country) = 2),
    address     TEXT    NOT NULL,
    place       TEXT    NOT NULL CHECK (place IN ('REAL', 'VIRTUAL')),
    latitude    REAL    CHECK (latitude BETWEEN -90 AND 90),
    longitude   REAL    CHECK (longitude BETWEEN -180 AND 180),
    currency    TEXT    NOT NULL CHECK (length(currency) = 3),
    time_zone   TEXT    NOT NULL,
    vat_number  TEXT,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX stores_brand_name ON stores (brand_id, name_key);

CREATE TABLE pos_devices (
    id             INTEGER PRIMARY KEY,
    store_id       INTEGER NOT NULL REFERENCES stores (id),
    name           TEXT    NOT NULL CHECK (length(trim(name)) > 0),
    name_key       TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('ENABLED', 'DISABLED')),
    device_type    TEXT    NOT NULL CHECK (device_type IN ('till', 'self_checkout', 'mobile')),
    -- Serial settings of the attached card terminal and receipt printer, as JSON objects.
    terminal       TEXT,
    printer        TEXT,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    -- Soft delete: the row stays so receipts and provider history keep pointing at it.
    deleted_at     TEXT
) STRICT;
-- Names are unique among the live devices of a store; a deleted device frees its name.
CREATE UNIQUE INDEX pos_devices_store_name ON pos_devices (store_id, name_key)
    WHERE deleted_at IS NULL;

CREATE TABLE pos_external_ids (
    pos_id      INTEGER NOT NULL REFERENCES pos_devices (id),
    provider    TEXT    NOT NULL CHECK (provider IN ('droppay', 'vourity', 'swip', 'flexiti', 'venue_manager')),
    external_id TEXT    NOT NULL CHECK (length(trim(external_id)) > 0),
    PRIMARY KEY (pos_id, provider)
) STRICT;
CREATE UNIQUE INDEX pos_external_ids_unique ON pos_external_ids (provider, external_id);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    name                TEXT    NOT NULL CHECK (length(trim(name)) > 0),
    name_key            TEXT    NOT NULL,
    role                TEXT    NOT NULL CHECK (role IN ('manager', 'cashier', 'accountant')),
    -- argon2id PHC string; the PIN itself is never stored.
    pin_hash            TEXT    NOT NULL,
    active              INTEGER NOT NULL CHECK (active IN (0, 1)),
    failed_pin_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_pin_attempts >= 0),
    locked_until        TEXT,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_name ON users (name_key);

-- Who changed what, when, with the entity's state before and after (JSON). Append-only.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT    NOT NULL,
    actor_user_id INTEGER REFERENCES users (id),
    entity        TEXT    NOT NULL,
    entity_id     INTEGER NOT NULL,
    action        TEXT    NOT NULL,
    before_json   TEXT,
    after_json    TEXT
) STRICT;
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Installation-wide settings (which POS this installation is, UI language, demo marker).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
