-- Selling: the catalog with per-store prices and dated VAT rates, sales and their lines
-- and tenders, receipt numbering, shifts with cash movements and Z reports, the
-- hash-chained fiscal journal and the outbox for later sync.
--
-- Money is INTEGER minor units of the row's currency; quantities and VAT rates are
-- canonical decimal TEXT ('0.532', '12.5'), never REAL. Refunds are sales of kind
-- 'refund' whose quantities and amounts are negative, so sums over both kinds are net.

CREATE TABLE vat_rates (
    country    TEXT NOT NULL CHECK (length(country) = 2),
    category   TEXT NOT NULL CHECK (category IN ('standard', 'reduced', 'reduced_low', 'zero')),
    rate       TEXT NOT NULL,
    valid_from TEXT NOT NULL,            -- date, inclusive
    valid_to   TEXT,                     -- date, exclusive; NULL while in force
    PRIMARY KEY (country, category, valid_from)
) STRICT;

INSERT INTO vat_rates (country, category, rate, valid_from) VALUES
    ('SE', 'standard', '25', '2000-01-01'),
    ('SE', 'reduced', '12', '2000-01-01'),
    ('SE', 'reduced_low', '6', '2000-01-01'),
    ('SE', 'zero', '0', '2000-01-01'),
    -- Denmark has one rate: its reduced categories are taxed at the standard 25 %.
    ('DK', 'standard', '25', '2000-01-01'),
    ('DK', 'reduced', '25', '2000-01-01'),
    ('DK', 'reduced_low', '25', '2000-01-01'),
    ('DK', 'zero', '0', '2000-01-01'),
    ('NO', 'standard', '25', '2000-01-01'),
    ('NO', 'reduced', '15', '2000-01-01'),
    ('NO', 'reduced_low', '12', '2000-01-01'),
    ('NO', 'zero', '0', '2000-01-01');

CREATE TABLE categories (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    name_key   TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE products (
    id           INTEGER PRIMARY KEY,
    sku          TEXT    NOT NULL UNIQUE CHECK (length(trim(sku)) > 0),
    name         TEXT    NOT NULL CHECK (length(trim(name)) > 0),
    name_key     TEXT    NOT NULL,
    category_id  INTEGER REFERENCES categories (id),
    vat_category TEXT    NOT NULL CHECK (vat_category IN ('standard', 'reduced', 'reduced_low', 'zero')),
    -- 'each' is sold by the piece; 'kg' by weight, with the price per kilogram.
    unit         TEXT    NOT NULL DEFAULT 'each' CHECK (unit IN ('each', 'kg')),
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
) STRICT;
CREATE INDEX products_name ON products (name_key);

-- A product's codes: GTINs stored as 13 digits (EAN-8 as 8), free codes as typed, and
-- variable-measure items by their 7-digit prefix + item code.
CREATE TABLE product_barcodes (
    code       TEXT    PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products (id)
) STRICT;
CREATE INDEX product_barcodes_product ON product_barcodes (product_id);

-- Prices include VAT, per store, in the store's currency.
CREATE TABLE product_prices (
    product_id       INTEGER NOT NULL REFERENCES products (id),
    store_id         INTEGER NOT NULL REFERENCES stores (id),
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    currency         TEXT    NOT NULL CHECK (length(currency) = 3),
    updated_at       TEXT    NOT NULL,
    PRIMARY KEY (product_id, store_id)
) STRICT;

CREATE TABLE shifts (
    id               INTEGER PRIMARY KEY,
    pos_id           INTEGER NOT NULL REFERENCES pos_devices (id),
    currency         TEXT    NOT NULL,
    opened_by        INTEGER NOT NULL REFERENCES users (id),
    opened_at        TEXT    NOT NULL,
    float_minor      INTEGER NOT NULL CHECK (float_minor >= 0),
    closed_by        INTEGER REFERENCES users (id),
    closed_at        TEXT,
    expected_minor   INTEGER,
    counted_minor    INTEGER,
    difference_minor INTEGER
) STRICT;
CREATE UNIQUE INDEX shifts_one_open_per_pos ON shifts (pos_id) WHERE closed_at IS NULL;

CREATE TABLE sales (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL CHECK (kind IN ('sale', 'refund')),
    status           TEXT    NOT NULL CHECK (status IN ('open', 'parked', 'paying', 'unknown', 'completed', 'voided', 'post_voided')),
    store_id         INTEGER NOT NULL REFERENCES stores (id),
    pos_id           INTEGER NOT NULL REFERENCES pos_devices (id),
    shift_id         INTEGER NOT NULL REFERENCES shifts (id),
    cashier_id       INTEGER NOT NULL REFERENCES users (id),
    currency         TEXT    NOT NULL,
    customer_ref     TEXT,
    -- Refunds point at the sale they credit (NULL for a return without a receipt).
    original_sale_id INTEGER REFERENCES sales (id),
    -- What kind of correction a refund is.
    correction       TEXT    CHECK (correction IN ('refund', 'post_void', 'return_without_receipt')),
    reason           TEXT,
    approved_by      INTEGER REFERENCES users (id),
    order_discount   TEXT,               -- JSON {"percent":"10"} or {"amount_minor":500}
    -- Set once, when the sale completes; an unbroken series per POS.
    receipt_no       INTEGER,
    total_minor      INTEGER NOT NULL DEFAULT 0,
    vat_minor        INTEGER NOT NULL DEFAULT 0,
    discount_minor   INTEGER NOT NULL DEFAULT 0,
    rounding_minor   INTEGER NOT NULL DEFAULT 0,
    change_minor     INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    completed_at     TEXT,
    voided_at        TEXT,
    voided_by        INTEGER REFERENCES users (id)
) STRICT;
CREATE UNIQUE INDEX sales_receipt_no ON sales (pos_id, receipt_no) WHERE receipt_no IS NOT NULL;
CREATE INDEX sales_status ON sales (pos_id, status);
CREATE INDEX sales_original ON sales (original_sale_id) WHERE original_sale_id IS NOT NULL;

CREATE TABLE sale_lines (
    id                  INTEGER PRIMARY KEY,
    sale_id             INTEGER NOT NULL REFERENCES sales (id),
    line_no             INTEGER NOT NULL,
    product_id          INTEGER REFERENCES products (id),
    sku                 TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    barcode             TEXT,
    unit                TEXT    NOT NULL CHECK (unit IN ('each', 'kg')),
    quantity            TEXT    NOT NULL,
    unit_price_minor    INTEGER NOT NULL,
    catalog_price_minor INTEGER NOT NULL,
    price_override_by   INTEGER REFERENCES users (id),
    vat_rate            TEXT    NOT NULL,
    discount            TEXT,            -- JSON, as order_discount
    discount_minor      INTEGER NOT NULL DEFAULT 0,
    total_minor         INTEGER NOT NULL,
    original_line_id    INTEGER REFERENCES sale_lines (id),
    UNIQUE (sale_id, line_no)
) STRICT;
CREATE INDEX sale_lines_original ON sale_lines (original_line_id) WHERE original_line_id IS NOT NULL;

CREATE TABLE tenders (
    id                 INTEGER PRIMARY KEY,
    sale_id            INTEGER NOT NULL REFERENCES sales (id),
    -- Checked by kassa-app: new payment methods arrive with the provider and terminal work.
    method             TEXT    NOT NULL,
    amount_minor       INTEGER NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'declined', 'cancelled', 'unknown')),
    -- The idempotency reference, stored before anything is asked of a terminal or provider.
    reference          TEXT    NOT NULL UNIQUE,
    original_tender_id INTEGER REFERENCES tenders (id),
    detail             TEXT,
    created_at         TEXT    NOT NULL,
    resolved_at        TEXT
) STRICT;
CREATE INDEX tenders_sale ON tenders (sale_id);

CREATE TABLE receipt_counters (
    pos_id  INTEGER PRIMARY KEY REFERENCES pos_devices (id),
    last_no INTEGER NOT NULL
) STRICT;

-- Reprints. At most one copy of a receipt (Sweden allows one).
CREATE TABLE receipt_copies (
    id         INTEGER PRIMARY KEY,
    sale_id    INTEGER NOT NULL UNIQUE REFERENCES sales (id),
    printed_at TEXT    NOT NULL,
    printed_by INTEGER NOT NULL REFERENCES users (id)
) STRICT;

CREATE TABLE cash_movements (
    id           INTEGER PRIMARY KEY,
    shift_id     INTEGER NOT NULL REFERENCES shifts (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('cash_in', 'cash_out', 'drawer_open')),
    amount_minor INTEGER NOT NULL DEFAULT 0 CHECK (amount_minor >= 0),
    reason       TEXT,
    at           TEXT    NOT NULL,
    by_user      INTEGER NOT NULL REFERENCES users (id)
) STRICT;

CREATE TABLE z_reports (
    id             INTEGER PRIMARY KEY,
    pos_id         INTEGER NOT NULL REFERENCES pos_devices (id),
    z_no           INTEGER NOT NULL,
    shift_id       INTEGER NOT NULL UNIQUE REFERENCES shifts (id),
    created_at     TEXT    NOT NULL,
    -- The journal's length and head hash when the report was made: the anchor that makes
    -- a truncated or recomputed tail detectable.
    journal_length INTEGER NOT NULL,
    journal_head   TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    UNIQUE (pos_id, z_no)
) STRICT;

-- The fiscal journal: each row keeps the exact canonical bytes of its event and
-- hash = SHA-256(previous hash || canonical). Rows are never updated or deleted.
CREATE TABLE journal (
    seq       INTEGER PRIMARY KEY,
    at        TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    canonical BLOB    NOT NULL,
    hash      TEXT    NOT NULL
) STRICT;
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER z_reports_no_update BEFORE UPDATE ON z_reports
BEGIN SELECT RAISE(ABORT, 'Z reports are immutable'); END;
CREATE TRIGGER z_reports_no_delete BEFORE DELETE ON z_reports
BEGIN SELECT RAISE(ABORT, 'Z reports are immutable'); END;

-- Messages for other systems, written in the same transaction as the event they report;
-- the sync worker delivers them later.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    topic           TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    delivered_at    TEXT,
    last_error      TEXT
) STRICT;
CREATE INDEX outbox_pending ON outbox (id) WHERE delivered_at IS NULL;
