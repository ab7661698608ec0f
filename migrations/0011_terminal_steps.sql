-- What the integrated card terminal (ZVT, on a serial line or the LAN) reported, message
-- by message: the till's request (with the last trace number the till knew of that
-- terminal, which reconciling a lost result needs), the terminal's status information
-- (result code, trace and receipt numbers, card), the receipt lines it sent, the end of
-- each exchange, reversals, reconciliations and end-of-day totals. A tender's status says
-- where the payment is for the till; these rows say what the terminal said, and are what
-- a lost result is matched against after a crash or a pulled cable.
--
-- `tender_id` is NULL for what concerns the terminal and no payment (an end of day).
-- Rows are appended, never changed.

CREATE TABLE terminal_steps (
    id           INTEGER PRIMARY KEY,
    pos_id       INTEGER NOT NULL REFERENCES pos_devices (id),
    tender_id    INTEGER REFERENCES tenders (id),
    -- requested, status, result, receipt, ended, lost, reversal, reconciled, end_of_day, ...
    step         TEXT    NOT NULL CHECK (length(step) BETWEEN 1 AND 40),
    terminal_id  TEXT,
    trace        INTEGER CHECK (trace IS NULL OR trace BETWEEN 0 AND 999999),
    receipt      INTEGER CHECK (receipt IS NULL OR receipt BETWEEN 0 AND 9999),
    amount_minor INTEGER,
    result_code  INTEGER CHECK (result_code IS NULL OR result_code BETWEEN 0 AND 255),
    -- What Kassa read, as JSON (card, date and time, lines, the end of the exchange).
    answer       TEXT    CHECK (answer IS NULL OR json_valid(answer)),
    at           TEXT    NOT NULL
) STRICT;

CREATE INDEX terminal_steps_by_tender ON terminal_steps (tender_id, id);
CREATE INDEX terminal_steps_by_pos ON terminal_steps (pos_id, id);

CREATE TRIGGER terminal_steps_no_update BEFORE UPDATE ON terminal_steps
BEGIN SELECT RAISE(ABORT, 'terminal steps are append-only'); END;
CREATE TRIGGER terminal_steps_no_delete BEFORE DELETE ON terminal_steps
BEGIN SELECT RAISE(ABORT, 'terminal steps are append-only'); END;
