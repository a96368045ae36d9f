-- Ids are ASCII and compared byte by byte everywhere else (SQLite's
-- BINARY collation, the service's own comparisons), so the id keys the
-- usage import writes most are compared the same way on PostgreSQL: the
-- "C" collation orders them by bytes whatever the database's locale, and
-- keeps their indexes from calling the locale's comparison for every
-- entry. A change of collation alone rewrites no rows; the indexes on
-- these columns are rebuilt.
ALTER TABLE usage_records ALTER COLUMN record_id TYPE TEXT COLLATE "C";

ALTER TABLE settlement_packs ALTER COLUMN id TYPE TEXT COLLATE "C";

ALTER TABLE settlement_packs ALTER COLUMN workspace_id TYPE TEXT COLLATE "C";
