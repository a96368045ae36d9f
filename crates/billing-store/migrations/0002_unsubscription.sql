-- Version 2: binding quotes, unsubscriptions, refunds with their processing
-- state, idempotency keys, and the simulated payment channel's own log.

CREATE TABLE quotes (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    instance_id TEXT NOT NULL REFERENCES instances(id),
    order_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    policy_version BIGINT NOT NULL,
    digest TEXT NOT NULL,
    eligible BIGINT NOT NULL,
    reason TEXT,
    currency TEXT NOT NULL,
    refund_minor BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX quotes_instance ON quotes(instance_id);

CREATE TABLE unsubscriptions (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    instance_id TEXT NOT NULL REFERENCES instances(id),
    order_id TEXT NOT NULL,
    quote_id TEXT NOT NULL REFERENCES quotes(id),
    commodity TEXT NOT NULL,
    currency TEXT NOT NULL,
    refund_minor BIGINT NOT NULL,
    full_refund BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX unsubscriptions_account ON unsubscriptions(account_id, commodity, created_at);
-- One unsubscription of a whole instance (order_id is the empty string) and
-- at most one per renewal order (order_id names it).
CREATE UNIQUE INDEX unsubscriptions_once ON unsubscriptions(instance_id, order_id);
CREATE UNIQUE INDEX unsubscriptions_quote ON unsubscriptions(quote_id);

CREATE TABLE refunds (
    id TEXT PRIMARY KEY,
    unsubscription_id TEXT NOT NULL REFERENCES unsubscriptions(id),
    account_id TEXT NOT NULL REFERENCES accounts(id),
    order_id TEXT NOT NULL REFERENCES orders(id),
    tender_index BIGINT NOT NULL,
    from_method TEXT NOT NULL,
    destination TEXT NOT NULL,
    payment_method_id TEXT,
    rule TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    status TEXT NOT NULL,
    rerouted_from TEXT,
    failure TEXT,
    attempts BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expected_by BIGINT NOT NULL
);
CREATE INDEX refunds_account ON refunds(account_id, created_at);
CREATE INDEX refunds_status ON refunds(status, created_at);
CREATE INDEX refunds_order ON refunds(order_id);

CREATE TABLE idempotency_keys (
    account_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);

CREATE TABLE channel_requests (
    refund_id TEXT PRIMARY KEY,
    method TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    repeats BIGINT NOT NULL
);
