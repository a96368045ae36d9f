-- Usage records are found only by their id, so on SQLite they are kept in
-- a table ordered by that id (WITHOUT ROWID): one B-tree, instead of a
-- row-numbered table plus a separate index of ids, which is about half the
-- pages an import writes for them. The records are copied once,
-- so the upgrade needs room for a second copy of them while it runs.
CREATE TABLE usage_records_by_id (
    record_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    hour_start BIGINT NOT NULL,
    cu_milli BIGINT NOT NULL
) WITHOUT ROWID;

INSERT INTO usage_records_by_id (record_id, workspace_id, hour_start, cu_milli)
SELECT record_id, workspace_id, hour_start, cu_milli FROM usage_records;

DROP TABLE usage_records;

ALTER TABLE usage_records_by_id RENAME TO usage_records;
