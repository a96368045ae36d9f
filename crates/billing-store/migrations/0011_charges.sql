-- Version 11: money comes in through the payment channel.
--
-- A payment of an order (or a top-up of a balance) is a set of charges, one
-- per tender, written before the channel is asked and settled from its
-- answers: `requested` until the channel answers, then `captured` or
-- `declined`; a captured charge whose payment fell through is `voided`.
-- The charge's id is the channel's idempotency key. The charges of one
-- payment attempt share a `payment_id` and go through or fall through
-- together; a charge being given back is `voiding` until the channel voided
-- it. The worker takes up the charges least recently touched first.
CREATE TABLE charges (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    order_id TEXT REFERENCES orders(id),
    payment_id TEXT NOT NULL,
    idx BIGINT NOT NULL,
    method TEXT NOT NULL,
    payment_method_id TEXT,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    status TEXT NOT NULL,
    failure TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX charges_order ON charges(order_id, status);
CREATE INDEX charges_status ON charges(status, updated_at);

-- A paid tender names the captured charge it came from; a refund to a card
-- or PayPal names the charge it returns.
ALTER TABLE tenders ADD COLUMN charge_id TEXT;
ALTER TABLE refunds ADD COLUMN charge_id TEXT;
-- Why the last payment of an unpaid order did not go through.
ALTER TABLE orders ADD COLUMN payment_failure TEXT;

-- The simulated channel's own records, apart from the billing data as a
-- real channel's would be: the instruments it issued and the charges it
-- received (one row per charge id proves none was taken twice).
CREATE TABLE channel_methods (
    token TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    declines TEXT NOT NULL,
    issued_at BIGINT NOT NULL
);
CREATE TABLE channel_charges (
    charge_id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    refunded_minor BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    repeats BIGINT NOT NULL
);
-- Why the simulated channel refused a refund.
ALTER TABLE channel_requests ADD COLUMN reason TEXT;
