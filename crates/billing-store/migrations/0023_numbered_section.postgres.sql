-- A credit note or invoice is stored while its series' counter row is held
-- (migration 21), so every index entry and check on that insert is paid
-- once per document by every transaction queued behind it. Two of them
-- repeat what another already guarantees:
-- - UNIQUE (series, year, seq): the number is built from exactly these
--   three (series-year-zero-padded seq), so the number's own UNIQUE index
--   already refuses a repeat;
-- - the reference to accounts: the account row is locked by the same
--   transaction before the document is built from it, and accounts are
--   never deleted; the check was a second look-up of a row already held.
ALTER TABLE documents DROP CONSTRAINT documents_series_year_seq_key;
ALTER TABLE documents DROP CONSTRAINT documents_account_id_fkey;

-- The audit event chained in that section wrote a B-tree entry for its
-- time. Audit events are appended in commit order, so their times rise
-- with their place in the table (two transactions can commit in the other
-- order of their clocks, by a few milliseconds): a BRIN index, one summary
-- per range of pages, narrows a search by time just as well and costs an
-- append nothing until its range is summarized. Autovacuum summarizes a
-- range once it fills (autosummarize), so only the last one, at most 32
-- pages, is read whole by a search by time; with autovacuum off, every
-- unsummarized range is.
DROP INDEX audit_events_at;
CREATE INDEX audit_events_at ON audit_events USING brin (at) WITH (pages_per_range = 32, autosummarize = on);

-- Each event's hash called sb_hashed_field seven times as a separate SQL
-- function, planned on every call: declared IMMUTABLE over convert_to,
-- which is only STABLE, it could not be inlined. STABLE is what it is.
ALTER FUNCTION sb_hashed_field(text) STABLE;
