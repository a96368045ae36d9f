-- Version 14: quota changes that keep the workspace. A downgrade takes a
-- tranche out of each order's cash basis and out of its tenders; a switch to
-- pay-as-you-go ends the quota while the workspace stays; both are recorded
-- as unsubscriptions with their action. A region may cap the CUs reserved in
-- it; a paid quota over the cap is refunded instead of activated.

ALTER TABLE orders ADD COLUMN released_cash_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenders ADD COLUMN released_minor BIGINT NOT NULL DEFAULT 0;

ALTER TABLE unsubscriptions ADD COLUMN action TEXT NOT NULL DEFAULT 'unsubscribe';
ALTER TABLE unsubscriptions ADD COLUMN quota_cu_after BIGINT;
-- A quota is given back or switched once, but downgraded any number of times.
DROP INDEX unsubscriptions_once;
CREATE UNIQUE INDEX unsubscriptions_once ON unsubscriptions(instance_id, order_id) WHERE action <> 'downgrade';

-- The CUs a quota covers from an hour on: settling an hour before a change
-- uses the CUs from before it.
CREATE TABLE quota_changes (
    instance_id TEXT NOT NULL REFERENCES instances(id),
    unsubscription_id TEXT NOT NULL REFERENCES unsubscriptions(id),
    effective_from BIGINT NOT NULL,
    quota_cu_before BIGINT NOT NULL,
    quota_cu_after BIGINT NOT NULL,
    PRIMARY KEY (instance_id, unsubscription_id)
);
CREATE INDEX quota_changes_instance ON quota_changes(instance_id, effective_from);

-- Reserved CUs the region can hold for active quotas; NULL is no limit.
ALTER TABLE regions ADD COLUMN reserved_cu_capacity BIGINT;

-- What a binding quote was for; a downgrade's quote names the CUs it keeps.
ALTER TABLE quotes ADD COLUMN action TEXT NOT NULL DEFAULT 'unsubscribe';
ALTER TABLE quotes ADD COLUMN new_quota_cu BIGINT;
