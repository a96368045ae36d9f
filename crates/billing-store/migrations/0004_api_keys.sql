-- Version 4: API keys. Only a SHA-256 of each key is kept; the key itself is
-- shown once, when it is made. An operator key has no account.

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts(id),
    key_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_keys_account ON api_keys(account_id);

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
