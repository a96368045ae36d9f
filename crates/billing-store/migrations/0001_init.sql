-- spark-billing schema, version 1. Runs unchanged on SQLite and PostgreSQL:
-- money is BIGINT minor units beside a currency code, instants are BIGINT
-- microseconds since the Unix epoch (UTC), flags are 0/1 BIGINTs.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    currency TEXT NOT NULL,
    balance_minor BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE payment_methods (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    valid BIGINT NOT NULL
);
CREATE INDEX payment_methods_account ON payment_methods(account_id);

CREATE TABLE benefits (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    order_id TEXT
);
CREATE INDEX benefits_account ON benefits(account_id);

CREATE TABLE regions (
    id TEXT PRIMARY KEY,
    zone TEXT NOT NULL,
    currency TEXT NOT NULL,
    cu_month_price_minor BIGINT NOT NULL,
    cu_hour_price_micros BIGINT NOT NULL,
    min_quota_cu BIGINT NOT NULL,
    min_months BIGINT NOT NULL,
    max_months BIGINT NOT NULL
);

CREATE TABLE policy_versions (
    version BIGINT PRIMARY KEY,
    effective_from BIGINT NOT NULL,
    settings TEXT NOT NULL
);

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    region_id TEXT NOT NULL REFERENCES regions(id),
    name TEXT NOT NULL,
    billing_method TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX workspaces_account ON workspaces(account_id);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    script TEXT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE data_objects (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    size_bytes BIGINT NOT NULL
);
CREATE INDEX data_objects_workspace ON data_objects(workspace_id);

CREATE TABLE queues (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    subscription BIGINT NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX queues_workspace ON queues(workspace_id);

CREATE TABLE workspace_tombstones (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    jobs BIGINT NOT NULL,
    data_objects BIGINT NOT NULL,
    queues BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL
);

CREATE TABLE instances (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    region_id TEXT NOT NULL REFERENCES regions(id),
    commodity TEXT NOT NULL,
    workspace_id TEXT REFERENCES workspaces(id),
    quota_cu BIGINT,
    capacity_milli BIGINT,
    used_milli BIGINT NOT NULL,
    state TEXT NOT NULL,
    promotion_non_refundable BIGINT NOT NULL,
    transferred BIGINT NOT NULL,
    auto_renew BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX instances_account ON instances(account_id);
CREATE INDEX instances_workspace ON instances(workspace_id);
CREATE INDEX instances_state ON instances(state);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES instances(id),
    account_id TEXT NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    months BIGINT NOT NULL,
    currency TEXT NOT NULL,
    list_price_minor BIGINT NOT NULL,
    discount_minor BIGINT NOT NULL,
    coupon_minor BIGINT NOT NULL,
    voucher_minor BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    paid_at BIGINT,
    start_at BIGINT
);
CREATE INDEX orders_instance ON orders(instance_id, created_at);
CREATE INDEX orders_status ON orders(status, created_at);

CREATE TABLE order_benefits (
    order_id TEXT NOT NULL REFERENCES orders(id),
    benefit_id TEXT NOT NULL REFERENCES benefits(id),
    PRIMARY KEY (order_id, benefit_id)
);

CREATE TABLE tenders (
    order_id TEXT NOT NULL REFERENCES orders(id),
    idx BIGINT NOT NULL,
    method TEXT NOT NULL,
    payment_method_id TEXT,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (order_id, idx)
);

CREATE TABLE usage_records (
    record_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    hour_start BIGINT NOT NULL,
    cu_milli BIGINT NOT NULL
);

CREATE TABLE settlements (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    hour_start BIGINT NOT NULL,
    adjustment BIGINT NOT NULL,
    usage_milli BIGINT NOT NULL,
    covered_milli BIGINT NOT NULL,
    payg_milli BIGINT NOT NULL,
    bill_milli_major BIGINT NOT NULL,
    currency TEXT NOT NULL,
    charge_minor BIGINT NOT NULL,
    settled_at BIGINT NOT NULL
);
CREATE INDEX settlements_hour ON settlements(workspace_id, hour_start);

CREATE TABLE plan_draws (
    settlement_id TEXT NOT NULL REFERENCES settlements(id),
    plan_id TEXT NOT NULL REFERENCES instances(id),
    cu_milli BIGINT NOT NULL,
    PRIMARY KEY (settlement_id, plan_id)
);

CREATE TABLE ledger_movements (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    at BIGINT NOT NULL
);

CREATE TABLE ledger_entries (
    movement_id TEXT NOT NULL REFERENCES ledger_movements(id),
    line BIGINT NOT NULL,
    ledger_account TEXT NOT NULL,
    unit TEXT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (movement_id, line)
);
CREATE INDEX ledger_entries_account ON ledger_entries(ledger_account);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_subject ON audit_events(subject);
