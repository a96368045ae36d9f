-- Version 12: a refund the channel has not settled yet is asked again on a
-- backoff schedule instead of at once. `next_attempt_at` (microseconds) is
-- when it may be claimed again; NULL means at once. Refunds never tried come
-- first, so a crowd of slow refunds cannot keep new ones from the channel.
ALTER TABLE refunds ADD COLUMN next_attempt_at BIGINT;
CREATE INDEX refunds_queue ON refunds(status, attempts, created_at);
