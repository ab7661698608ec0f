-- Provider accounts: what a manager entered for each provider at each POS device, apart
-- from the credentials, which live in the OS keyring (or a 0600 file), never here.

-- This database's identity: the prefix of its keyring entries, so the demo database and
-- the real one on the same machine never read each other's credentials. A restored
-- backup keeps it, and with it the credentials of the database it was taken from.
INSERT OR IGNORE INTO settings (key, value) VALUES ('database_id', lower(hex(randomblob(16))));

CREATE TABLE provider_accounts (
    pos_id          INTEGER NOT NULL REFERENCES pos_devices (id),
    provider        TEXT    NOT NULL CHECK (provider IN ('droppay', 'vourity', 'swip', 'flexiti', 'venue_manager')),
    base_url        TEXT    NOT NULL CHECK (length(trim(base_url)) > 0),
    -- The fields that are not credentials (merchant id, store id, point of service id),
    -- as a JSON object of text values keyed by the provider's field keys.
    fields          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(fields) AND json_type(fields) = 'object'),
    -- The keys of the credentials stored for this account in the secret store, as a JSON
    -- array, so the settings screen can say "set" without reading the secret.
    secret_keys     TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(secret_keys) AND json_type(secret_keys) = 'array'),
    -- The last "Test connection": when, whether it worked, and what it said.
    tested_at       TEXT,
    test_ok         INTEGER CHECK (test_ok IN (0, 1)),
    test_message    TEXT,
    updated_at      TEXT    NOT NULL,
    PRIMARY KEY (pos_id, provider)
) STRICT;
