-- Version 15: usage messages refused one by one. A stream consumer keeps
-- each message it cannot settle here (with the reason) before acknowledging
-- it, so that a bad message never stops the stream and an operator can list
-- and export what was refused. A message is kept once: its stream and its
-- sequence in that stream name it, so a redelivery adds nothing.

CREATE TABLE usage_rejections (
    id TEXT PRIMARY KEY,
    stream TEXT NOT NULL,
    stream_seq BIGINT NOT NULL,
    record_id TEXT,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    payload TEXT NOT NULL,
    rejected_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX usage_rejections_message ON usage_rejections(stream, stream_seq);
CREATE INDEX usage_rejections_time ON usage_rejections(rejected_at, id);
