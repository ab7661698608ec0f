-- Flexiti's in-store channel names the store and the cashier on every transaction
-- (seeds/002: `external_location_id` and `external_employee_id`, "Yes if In-store
-- channel"). A store's id falls back to the Flexiti account's `location_id` setting
-- when it has none; a cashier without an id cannot take Flexiti payments.
--
-- Values are what the Flexiti client sends as they are: 1 to 50 letters, digits, '-'
-- and '_' (kassa-app checks the same before writing, with a sentence for the manager).

ALTER TABLE stores ADD COLUMN flexiti_location_id TEXT
    CHECK (flexiti_location_id IS NULL OR length(flexiti_location_id) BETWEEN 1 AND 50);

ALTER TABLE users ADD COLUMN flexiti_employee_id TEXT
    CHECK (flexiti_employee_id IS NULL OR length(flexiti_employee_id) BETWEEN 1 AND 50);
