-- Version 13: console sessions kept on the server, so that signing out ends
-- a session everywhere: the cookie names a session row, and a row that is
-- ended (or past its expiry) no longer signs anyone in. The key a session
-- belongs to is kept by its hash, as in api_keys.

CREATE TABLE console_sessions (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX console_sessions_expiry ON console_sessions(expires_at);
