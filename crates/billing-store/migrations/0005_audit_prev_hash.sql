-- The head keeps the hash it moved on from, so that PostgreSQL can chain an
-- event and insert it in one statement (an UPDATE returns only new values).
ALTER TABLE audit_head ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
UPDATE audit_head SET prev_hash = COALESCE((SELECT prev_hash FROM audit_events WHERE seq = audit_head.seq), '');
