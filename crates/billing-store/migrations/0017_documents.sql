-- Version 17: billing documents. An invoice is issued for every paid order
-- and a credit note for every set of refunds, in the same transaction. Each
-- series (INV, CN) counts per calendar year from one counter row, taken
-- with an upsert that holds the row until commit: numbers have no gaps and
-- no repeats, and a rolled-back transaction gives its number back. The
-- content a document shows is stored as canonical JSON with its SHA-256.

CREATE TABLE document_counters (
    series TEXT NOT NULL,
    year BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (series, year)
);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    series TEXT NOT NULL,
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    source_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    content TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    UNIQUE (series, year, seq),
    UNIQUE (kind, source_id)
);
CREATE INDEX documents_issued ON documents(issued_at, id);
CREATE INDEX documents_account ON documents(account_id, issued_at, id);
