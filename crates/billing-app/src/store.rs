//! The persistence boundary. Use cases open a transaction, read and write
//! records through it and commit; only the storage crate knows SQL.
//!
//! A write transaction is exclusive where the database needs it to be
//! (SQLite takes its write lock up front), so read-then-write sequences are
//! safe under concurrency; conditional updates such as
//! [`InstancesTx::set_instance_state`] return whether they applied, which is how
//! racing requests learn they lost.

use async_trait::async_trait;
use billing_domain::catalog::{Commodity, Region};
use billing_domain::ids::{
    AccountId, ApiKeyId, BenefitId, ChargeId, DocumentId, EventId, InstanceId, OrderId, PaymentMethodId, QuoteId,
    RefundId, UnsubscriptionId, WebhookEndpointId, WorkspaceId,
};
use billing_domain::money::Money;
use billing_domain::order::OrderStatus;
use billing_domain::policy::PolicyVersion;
use billing_domain::usage::CuHours;
use chrono::{DateTime, Utc};

use crate::model::directory::{AccountFilter, AccountSummary, AuditFilter, BalanceLine};
use crate::model::documents::{DocumentDraft, DocumentFilter, DocumentRecord};
use crate::model::events::{Event, EventFilter};
use crate::model::ledger::{LedgerEntry, Movement};
use crate::model::payments::{ChargeRecord, ChargeStatus};
use crate::model::refunds::{IdempotencyClaim, Refund, RefundFilter, RefundStatus, StoredQuote, Unsubscription};
use crate::model::usage::{UsageDay, UsageFacts, UsageRange, UsageRejection};
use crate::model::webhooks::{Delivery, DeliveryAttempt, DeliveryJob, DeliveryStatus, WebhookEndpoint};
use crate::model::{
    Account, ApiKey, AuditEvent, Benefit, BenefitStatus, BillingMethod, ConsoleSession, DataObject, InstanceRecord,
    InstanceState, Job, NewAuditEvent, OrderRecord, PaymentMethod, Queue, QueueStatus, QuotaChange, SettledHour,
    Settlement, Tombstone, UsageRecord, Workspace,
};

/// An account with one region and the newest policy version's number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountInRegion {
    /// The account.
    pub account: Account,
    /// The region, when it exists.
    pub region: Option<Region>,
    /// The highest policy version number stored (0 when there is none).
    pub newest_policy_version: u32,
}

/// A failure of the storage machinery.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database stayed locked or busy past the timeout.
    #[error("database busy: {0}")]
    Busy(String),
    /// The database cannot be reached or used right now (a broken or refused
    /// connection, a server restarting); safe to retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A uniqueness rule was violated (the name of the rule is included).
    #[error("unique constraint: {0}")]
    Unique(String),
    /// Anything else.
    #[error("database: {0}")]
    Database(String),
    /// A stored value could not be read back.
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A database holding everything spark-billing knows.
#[async_trait]
pub trait Store: Send + Sync {
    /// Opens a transaction that may write.
    async fn begin(&self) -> StoreResult<Box<dyn StoreTx + '_>>;
    /// Opens a transaction for reading only; it takes no write lock.
    async fn read(&self) -> StoreResult<Box<dyn StoreTx + '_>>;
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}

/// What a commit made durable that the application's caches learn from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Committed {
    /// The audit events the transaction chained, in chain order: each
    /// one's position and actor.
    pub audit: Vec<(i64, String)>,
}

/// One open transaction: the reads and writes of every subject, one trait
/// each. Dropping it without [`StoreTx::commit`] rolls back.
#[async_trait]
pub trait StoreTx:
    AccountsTx
    + CatalogTx
    + WorkspacesTx
    + InstancesTx
    + UsageTx
    + LedgerTx
    + DocumentsTx
    + AccessTx
    + RefundsTx
    + EventsTx
    + ChargesTx
    + SettlementsTx
    + RejectionsTx
    + BillsTx
    + DirectoryTx
    + SessionsTx
    + Send
{
    /// Makes every write of the transaction durable, or none of them, and
    /// tells what it committed.
    async fn commit(self: Box<Self>) -> StoreResult<Committed>;
    /// Runs `hook` once the transaction has committed; a transaction that
    /// fails to commit, or is dropped, never runs it. Counters of committed
    /// changes are kept this way.
    fn after_commit(&mut self, hook: Box<dyn FnOnce() + Send>);
}

/// Accounts and what they pay with: balances, payment methods, vouchers and coupons.
#[async_trait]
pub trait AccountsTx: Send {
    /// Adds an account.
    async fn insert_account(&mut self, account: &Account) -> StoreResult<()>;
    /// An account by id.
    async fn account(&mut self, id: &AccountId) -> StoreResult<Option<Account>>;
    /// Sets the language an account reads the console in (`None`: none
    /// chosen).
    async fn set_account_locale(&mut self, id: &AccountId, locale: Option<&str>) -> StoreResult<()>;
    /// Every account, by name.
    async fn accounts(&mut self) -> StoreResult<Vec<Account>>;
    /// An account with a region and the newest policy version's number, in
    /// one read: what a quote needs besides the instance itself. `None` when
    /// the account does not exist.
    async fn account_in_region(
        &mut self,
        account_id: &AccountId,
        region_id: &str,
    ) -> StoreResult<Option<AccountInRegion>>;
    /// Holds the account until the transaction ends: every use case that
    /// reads an account's state and then writes it takes this first, so that
    /// racing requests for one account queue instead of both acting on what
    /// they read (SQLite's write lock already does this for the whole file).
    /// Returns the account as it stands under the lock, if it exists.
    async fn lock_account(&mut self, id: &AccountId) -> StoreResult<Option<Account>>;
    /// [`AccountsTx::lock_account`] and [`AccountsTx::account_in_region`] of
    /// the region `instance_id` is in, in one statement. The account is read
    /// as it stands under the lock; the region and the newest policy version
    /// as they stood when the statement began, which only an operator
    /// changes and never for what a quote already holds.
    async fn lock_account_in_region_of(
        &mut self,
        id: &AccountId,
        instance_id: &InstanceId,
    ) -> StoreResult<Option<AccountInRegion>>;
    /// Adds `delta` to the balance and returns the new balance.
    async fn add_to_balance(&mut self, account_id: &AccountId, delta: Money) -> StoreResult<Money>;
    /// Adds `amount` to the balance of an account this transaction has
    /// locked, without reading it back: the store may write it with the
    /// transaction's next statement (a missing account then fails there).
    async fn credit_balance(&mut self, account_id: &AccountId, amount: Money) -> StoreResult<()>;
    /// Adds a payment method.
    async fn insert_payment_method(&mut self, method: &PaymentMethod) -> StoreResult<()>;
    /// A payment method by id.
    async fn payment_method(&mut self, id: &PaymentMethodId) -> StoreResult<Option<PaymentMethod>>;
    /// An account's payment methods.
    async fn payment_methods(&mut self, account_id: &AccountId) -> StoreResult<Vec<PaymentMethod>>;
    /// Marks a payment method valid or not.
    async fn set_payment_method_valid(&mut self, id: &PaymentMethodId, valid: bool) -> StoreResult<()>;
    /// Adds a voucher or coupon.
    async fn insert_benefit(&mut self, benefit: &Benefit) -> StoreResult<()>;
    /// A benefit by id.
    async fn benefit(&mut self, id: &BenefitId) -> StoreResult<Option<Benefit>>;
    /// An account's benefits.
    async fn benefits(&mut self, account_id: &AccountId) -> StoreResult<Vec<Benefit>>;
    /// Moves a benefit from `from` to `to`, binding it to `order_id` (a
    /// benefit made active again is bound to none); false when it was not
    /// in `from`.
    async fn set_benefit_status(
        &mut self,
        id: &BenefitId,
        from: BenefitStatus,
        to: BenefitStatus,
        order_id: Option<&OrderId>,
    ) -> StoreResult<bool>;
}

/// The catalog of regions and the refund policy's versions.
#[async_trait]
pub trait CatalogTx: Send {
    /// A region by id, read once per transaction: asking again answers what
    /// the first read found (or what this transaction wrote since).
    async fn region(&mut self, id: &str) -> StoreResult<Option<Region>>;
    /// Every region.
    async fn regions(&mut self) -> StoreResult<Vec<Region>>;
    /// Adds or replaces a region.
    async fn upsert_region(&mut self, region: &Region) -> StoreResult<()>;
    /// Every policy version.
    async fn policy_versions(&mut self) -> StoreResult<Vec<PolicyVersion>>;
    /// Adds a policy version.
    async fn insert_policy_version(&mut self, version: &PolicyVersion) -> StoreResult<()>;
}

/// Workspaces and their contents.
#[async_trait]
pub trait WorkspacesTx: Send {
    /// Adds a workspace.
    async fn insert_workspace(&mut self, workspace: &Workspace) -> StoreResult<()>;
    /// A workspace by id (deleted ones included).
    async fn workspace(&mut self, id: &WorkspaceId) -> StoreResult<Option<Workspace>>;
    /// A workspace by id with how many jobs, data objects and queues it holds,
    /// in that order.
    async fn workspace_with_counts(&mut self, id: &WorkspaceId) -> StoreResult<Option<(Workspace, [i64; 3])>>;
    /// An account's active workspaces.
    async fn workspaces(&mut self, account_id: &AccountId) -> StoreResult<Vec<Workspace>>;
    /// Adds a job.
    async fn insert_job(&mut self, job: &Job) -> StoreResult<()>;
    /// A workspace's jobs, by name.
    async fn jobs(&mut self, workspace_id: &WorkspaceId) -> StoreResult<Vec<Job>>;
    /// Adds a data object.
    async fn insert_data_object(&mut self, object: &DataObject) -> StoreResult<()>;
    /// A workspace's data objects, by name.
    async fn data_objects(&mut self, workspace_id: &WorkspaceId) -> StoreResult<Vec<DataObject>>;
    /// Adds a queue.
    async fn insert_queue(&mut self, queue: &Queue) -> StoreResult<()>;
    /// A workspace's queues.
    async fn queues(&mut self, workspace_id: &WorkspaceId) -> StoreResult<Vec<Queue>>;
    /// Sets how a workspace is billed.
    async fn set_billing_method(&mut self, workspace_id: &WorkspaceId, method: BillingMethod) -> StoreResult<()>;
    /// Sets the status of the workspace's subscription queue.
    async fn set_subscription_queue(&mut self, workspace_id: &WorkspaceId, status: QueueStatus) -> StoreResult<()>;
    /// Removes the workspace's jobs, data objects and queues for good, marks
    /// it deleted and keeps the tombstone.
    async fn delete_workspace(&mut self, tombstone: &Tombstone) -> StoreResult<()>;
    /// The tombstone of a deleted workspace.
    async fn tombstone(&mut self, workspace_id: &WorkspaceId) -> StoreResult<Option<Tombstone>>;
}

/// Instances, their orders, the charges that pay them and quota changes.
#[async_trait]
pub trait InstancesTx: Send {
    /// Adds an instance.
    async fn insert_instance(&mut self, instance: &InstanceRecord) -> StoreResult<()>;
    /// An instance by id.
    async fn instance(&mut self, id: &InstanceId) -> StoreResult<Option<InstanceRecord>>;
    /// The instances among `ids` that exist, in no particular order.
    async fn instances_by_ids(&mut self, ids: &[&InstanceId]) -> StoreResult<Vec<InstanceRecord>>;
    /// An account's instances, newest first.
    async fn instances(&mut self, account_id: &AccountId) -> StoreResult<Vec<InstanceRecord>>;
    /// Instances in `state`, across accounts (for the scheduler).
    async fn instances_in_state(&mut self, state: InstanceState) -> StoreResult<Vec<InstanceRecord>>;
    /// Moves an instance from `from` to `to`; false when it was not in `from`.
    async fn set_instance_state(
        &mut self,
        id: &InstanceId,
        from: InstanceState,
        to: InstanceState,
    ) -> StoreResult<bool>;
    /// Like [`InstancesTx::set_instance_state`], answering the instance as it
    /// now stands; `None` when it was not in `from` (or does not exist).
    async fn take_instance(
        &mut self,
        id: &InstanceId,
        from: InstanceState,
        to: InstanceState,
    ) -> StoreResult<Option<InstanceRecord>>;
    /// Sets the auto-renew flag.
    async fn set_auto_renew(&mut self, id: &InstanceId, auto_renew: bool) -> StoreResult<()>;
    /// Sets a plan's used CU-hours.
    async fn set_plan_used(&mut self, id: &InstanceId, used: CuHours) -> StoreResult<()>;
    /// The active quota of a workspace, if any.
    async fn quota_of_workspace(&mut self, workspace_id: &WorkspaceId) -> StoreResult<Option<InstanceRecord>>;
    /// An account's resource plans in a region.
    async fn plans_in_region(&mut self, account_id: &AccountId, region_id: &str) -> StoreResult<Vec<InstanceRecord>>;
    /// Adds an order with its tenders and benefit links.
    async fn insert_order(&mut self, order: &OrderRecord) -> StoreResult<()>;
    /// An order by id.
    async fn order(&mut self, id: &OrderId) -> StoreResult<Option<OrderRecord>>;
    /// An instance's orders, oldest first.
    async fn orders(&mut self, instance_id: &InstanceId) -> StoreResult<Vec<OrderRecord>>;
    /// The orders of all the instances `instance_ids`, oldest first.
    async fn orders_of_instances(&mut self, instance_ids: &[&InstanceId]) -> StoreResult<Vec<OrderRecord>>;
    /// Unpaid orders placed at or before `cutoff`.
    async fn unpaid_orders_before(&mut self, cutoff: DateTime<Utc>) -> StoreResult<Vec<OrderRecord>>;
    /// Records the payment of an unpaid order; false when it was not unpaid.
    async fn mark_order_paid(&mut self, order: &OrderRecord) -> StoreResult<bool>;
    /// Records why an unpaid order's payment did not go through (or clears it).
    async fn set_order_payment_failure(&mut self, order_id: &OrderId, failure: Option<&str>) -> StoreResult<()>;
    /// Records what downgrades took out of a paid order (`released_cash`)
    /// and of each of its tenders (`released`); false when it is not paid.
    async fn release_order_cash(&mut self, order: &OrderRecord) -> StoreResult<bool>;
    /// Sets a quota's CUs.
    async fn set_quota_cu(&mut self, instance_id: &InstanceId, quota_cu: u32) -> StoreResult<()>;
    /// Records a change of a quota's CUs.
    async fn insert_quota_change(&mut self, change: &QuotaChange) -> StoreResult<()>;
    /// The changes of the quotas `instance_ids`, oldest first.
    async fn quota_changes(&mut self, instance_ids: &[&InstanceId]) -> StoreResult<Vec<QuotaChange>>;
    /// CUs reserved by the region's quotas in force (active).
    async fn reserved_cu_in_region(&mut self, region_id: &str) -> StoreResult<i64>;
    /// Holds the region until the transaction ends, so that two
    /// activations in it are counted one after the other.
    async fn lock_region(&mut self, region_id: &str) -> StoreResult<()>;
    /// Moves an order from `from` to `to`; false when it was not in `from`.
    async fn set_order_status(&mut self, id: &OrderId, from: OrderStatus, to: OrderStatus) -> StoreResult<bool>;
}

/// Usage records and what settling them reads and writes beside the
/// settlements: the facts, the usage charges and the plans' use.
#[async_trait]
pub trait UsageTx: Send {
    /// Stores records whose ids are new and returns, for every record, the
    /// stored version when its id was already known.
    async fn insert_usage(&mut self, records: &[&UsageRecord]) -> StoreResult<Vec<Option<UsageRecord>>>;
    /// What settling usage of these workspaces needs, read in bulk: the
    /// workspaces, their quotas and their accounts' active plans, each with
    /// its orders (without tenders and benefits). The accounts are held, as
    /// by [`AccountsTx::lock_account`], before their plans are read.
    async fn usage_facts(&mut self, workspace_ids: &[&str]) -> StoreResult<UsageFacts>;
    /// Takes each usage charge off its account's balance; fails when an
    /// account is missing or settles in another currency.
    async fn charge_usage(&mut self, charges: &[(&str, Money)]) -> StoreResult<()>;
    /// Sets the used CU-hours of plans, one value per plan.
    async fn set_plans_used(&mut self, used: &[(&str, CuHours)]) -> StoreResult<()>;
}

/// The ledger and the audit chain.
#[async_trait]
pub trait LedgerTx: Send {
    /// Writes a balanced movement.
    async fn insert_movement(&mut self, movement: &Movement) -> StoreResult<()>;
    /// Every ledger entry, in movement order.
    async fn ledger_entries(&mut self) -> StoreResult<Vec<LedgerEntry>>;
    /// Appends an event to the audit chain. The event is chained when the
    /// transaction commits, in commit order, so that no writer holds the
    /// chain's head for longer than its own commit.
    async fn append_audit(&mut self, event: &NewAuditEvent, at: DateTime<Utc>) -> StoreResult<()>;
    /// The chain's head: the last sequence number and its hash.
    async fn audit_head(&mut self) -> StoreResult<(i64, String)>;
    /// Audit events from `after_seq` on, at most `limit`.
    async fn audit_events(&mut self, after_seq: i64, limit: i64) -> StoreResult<Vec<AuditEvent>>;
    /// The sequence numbers and actors of audit events from `after_seq` on,
    /// at most `limit`: who wrote what since then.
    async fn audit_actors(&mut self, after_seq: i64, limit: i64) -> StoreResult<Vec<(i64, String)>>;
}

/// Invoices and credit notes.
#[async_trait]
pub trait DocumentsTx: Send {
    /// Stores a document when the transaction commits, numbered then: the
    /// next number of its series for its calendar year (the first of a
    /// year is 1) is put in place of its tokens in the document, in its
    /// event and in the transaction's audit events, just before they are
    /// chained. The counter row is held from then until the commit ends; a
    /// rollback takes no number.
    async fn insert_document_at_commit(&mut self, draft: &DocumentDraft) -> StoreResult<()>;
    /// A document by id.
    async fn document(&mut self, id: &DocumentId) -> StoreResult<Option<DocumentRecord>>;
    /// Documents matching `filter`, newest first.
    async fn documents(&mut self, filter: &DocumentFilter) -> StoreResult<Vec<DocumentRecord>>;
    /// The invoice numbers of those of `order_ids` that have an invoice, as
    /// `(order id, number)`; an invoice of this transaction, not numbered
    /// yet, by its number token (filled in at commit). With the setting
    /// named `setting`, read in the same statement: a credit note names its
    /// invoices and the seller.
    async fn invoice_numbers_with_setting(
        &mut self,
        setting: &str,
        order_ids: &[&OrderId],
    ) -> StoreResult<(Option<String>, Vec<(OrderId, String)>)>;
}

/// API keys and the service's settings.
#[async_trait]
pub trait AccessTx: Send {
    /// Adds an API key.
    async fn insert_api_key(&mut self, key: &ApiKey) -> StoreResult<()>;
    /// The key with this hash.
    async fn api_key_by_hash(&mut self, key_hash: &str) -> StoreResult<Option<ApiKey>>;
    /// The key with this id.
    async fn api_key(&mut self, id: &ApiKeyId) -> StoreResult<Option<ApiKey>>;
    /// Keys by id, of one account (`Some`) or of everyone (`None`), at most
    /// `limit`, ordered by id.
    async fn api_keys(&mut self, account_id: Option<&AccountId>, limit: i64) -> StoreResult<Vec<ApiKey>>;
    /// Marks a key revoked at `at` unless it already is; whether it was.
    async fn revoke_api_key(&mut self, id: &ApiKeyId, at: DateTime<Utc>) -> StoreResult<bool>;
    /// A setting's value.
    async fn setting(&mut self, name: &str) -> StoreResult<Option<String>>;
    /// Sets a setting.
    async fn set_setting(&mut self, name: &str, value: &str) -> StoreResult<()>;
    /// A setting's value, first set to `value` when it has none; of two
    /// transactions doing this at once, both get the first one's value.
    async fn setting_or_insert(&mut self, name: &str, value: &str) -> StoreResult<String>;
}

/// Charges: what the payment channel was asked to take for an order.
#[async_trait]
pub trait ChargesTx: Send {
    /// Writes a charge.
    async fn insert_charge(&mut self, charge: &ChargeRecord) -> StoreResult<()>;
    /// One charge.
    async fn charge(&mut self, id: &ChargeId) -> StoreResult<Option<ChargeRecord>>;
    /// An order's charges, every payment attempt's, oldest first.
    async fn charges_of_order(&mut self, order_id: &OrderId) -> StoreResult<Vec<ChargeRecord>>;
    /// Moves a charge from `from` to `to`; false when it was not in `from`.
    async fn set_charge_status(
        &mut self,
        id: &ChargeId,
        from: ChargeStatus,
        to: ChargeStatus,
        failure: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Charges written at or before `before` whose payment is not settled:
    /// still requested, or captured for an order that is not paid; oldest
    /// first, at most `limit`.
    async fn unsettled_charges(&mut self, before: DateTime<Utc>, limit: i64) -> StoreResult<Vec<ChargeRecord>>;
}

/// Hourly settlements of usage and what they drew from plans.
#[async_trait]
pub trait SettlementsTx: Send {
    /// Usage and quota coverage already settled for each `(workspace,
    /// hour start)`, in the order asked; `None` for hours never settled.
    async fn settled_hours(&mut self, hours: &[(&str, DateTime<Utc>)]) -> StoreResult<Vec<Option<SettledHour>>>;
    /// Stores the settlements (or adjustments) of workspace-hours with their
    /// plan draws.
    async fn insert_settlements(&mut self, settlements: &[Settlement]) -> StoreResult<()>;
    /// A workspace's settlements, oldest first, at most `limit`; with
    /// `starting_after`, those listed after that settlement, or `None` when
    /// it is not one of the workspace's.
    async fn settlements(
        &mut self,
        workspace_id: &WorkspaceId,
        starting_after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Option<Vec<Settlement>>>;
}

/// Stream messages the usage consumer refused.
#[async_trait]
pub trait RejectionsTx: Send {
    /// Keeps refused stream messages; one kept before (the same stream and
    /// sequence) is left as it was. Answers how many were new.
    async fn insert_usage_rejections(&mut self, rejections: &[UsageRejection]) -> StoreResult<usize>;
    /// Refused stream messages, oldest first, after the one `starting_after`
    /// names (from the start when it names none), at most `limit`.
    async fn usage_rejections(&mut self, starting_after: Option<&str>, limit: i64) -> StoreResult<Vec<UsageRejection>>;
}

/// What bills are made of: days of usage and pages of orders.
#[async_trait]
pub trait BillsTx: Send {
    /// The settlements of an account's workspaces (deleted ones included)
    /// summed per local day of `range.zone` and workspace, by date then
    /// workspace id: the rows of [`UsageRange`].
    async fn usage_days(&mut self, range: &UsageRange) -> StoreResult<Vec<UsageDay>>;
    /// Orders of `account_id` (of every account when `None`), newest first
    /// (by placing instant, then id), at most `limit`, after the order
    /// `starting_after`.
    async fn account_orders(
        &mut self,
        account_id: Option<&AccountId>,
        starting_after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<OrderRecord>>;
}

/// The operator's directory: accounts with their counts, audit search and
/// the entries of one ledger account.
#[async_trait]
pub trait DirectoryTx: Send {
    /// Audit events matching `filter`, in its order.
    async fn audit_search(&mut self, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>>;
    /// Accounts matching `filter` with their counts, by name then id.
    async fn account_summaries(&mut self, filter: &AccountFilter) -> StoreResult<Vec<AccountSummary>>;
    /// One account with its counts.
    async fn account_summary(&mut self, id: &AccountId) -> StoreResult<Option<AccountSummary>>;
    /// Entries of one ledger account, newest first, after the movement
    /// `before` names; `None` when that movement has no entry there.
    async fn balance_lines(
        &mut self,
        ledger_account: &str,
        before: Option<&str>,
        limit: i64,
    ) -> StoreResult<Option<Vec<BalanceLine>>>;
}

/// Console sessions.
#[async_trait]
pub trait SessionsTx: Send {
    /// Adds a console session, first forgetting sessions that ended on
    /// their own before `session.created_at`.
    async fn insert_console_session(&mut self, session: &ConsoleSession) -> StoreResult<()>;
    /// A console session by id.
    async fn console_session(&mut self, id: &str) -> StoreResult<Option<ConsoleSession>>;
    /// Ends a console session at `at` (no effect when it has ended already).
    async fn end_console_session(&mut self, id: &str, at: DateTime<Utc>) -> StoreResult<()>;
}

/// Quotes, unsubscriptions, refunds and idempotency keys.
#[async_trait]
pub trait RefundsTx: Send {
    /// A confirmed quote, as it was stored with its unsubscription.
    async fn quote(&mut self, id: &QuoteId) -> StoreResult<Option<StoredQuote>>;
    /// Records an unsubscription with the quote it executed (stored unless
    /// it already is); `Unique` when the instance (or renewal order) was
    /// already unsubscribed.
    async fn insert_unsubscription(&mut self, unsubscription: &Unsubscription, quote: &StoredQuote) -> StoreResult<()>;
    /// An unsubscription by id.
    async fn unsubscription(&mut self, id: &UnsubscriptionId) -> StoreResult<Option<Unsubscription>>;
    /// Full refunds of an account for a commodity in `[from, to)`.
    async fn full_refunds_between(
        &mut self,
        account_id: &AccountId,
        commodity: Commodity,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<i64>;
    /// Adds a refund.
    async fn insert_refund(&mut self, refund: &Refund) -> StoreResult<()>;
    /// A refund by id.
    async fn refund(&mut self, id: &RefundId) -> StoreResult<Option<Refund>>;
    /// Refunds matching `filter`, newest first.
    async fn refunds(&mut self, filter: &RefundFilter) -> StoreResult<Vec<Refund>>;
    /// The sum of an order's refunds that carry money (failed ones
    /// excluded, since their replacement carries it).
    async fn order_refunded(&mut self, order_id: &OrderId) -> StoreResult<i64>;
    /// Moves a paid order to refunded and answers the sum of its refunds
    /// that carry money (failed ones excluded, since their replacement
    /// carries it) as it stood before; `None` when the order was not paid.
    async fn refund_order(&mut self, order_id: &OrderId) -> StoreResult<Option<i64>>;
    /// True when some pending refund could be claimed at `now`: a read, so
    /// that a worker with nothing due writes nothing.
    async fn refund_due(&mut self, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Takes up to `limit` pending refunds whose claim is free or lapsed and
    /// whose next attempt is due, for `worker` until `until`, never-tried
    /// ones first; other workers skip them meanwhile.
    async fn claim_refunds(
        &mut self,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Refund>>;
    /// Moves a pending refund held by `worker` to `to`; false when it is no
    /// longer pending or no longer held by `worker`.
    async fn finish_refund(
        &mut self,
        id: &RefundId,
        worker: &str,
        to: RefundStatus,
        failure: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Lets go of a refund still pending, for a later attempt: the claim of
    /// `worker`, or with `None` whoever's. It may be claimed again from
    /// `next_attempt_at` on, or at once with `None`. A `next_attempt_at`
    /// follows a call to the channel and counts one more attempt; `None`
    /// (let go unasked, an operator's retry) counts none.
    async fn release_refund(
        &mut self,
        id: &RefundId,
        worker: Option<&str>,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;
    /// Claims an idempotency key for this transaction, or returns its use.
    /// A `response` known before the work is done (an id chosen up front) is
    /// stored with the claim, which saves [`RefundsTx::complete_idempotency`].
    async fn claim_idempotency(
        &mut self,
        scope: &str,
        key: &str,
        request_hash: &str,
        response: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<IdempotencyClaim>;
    /// Stores the result of the request holding the key.
    async fn complete_idempotency(&mut self, scope: &str, key: &str, response: &str) -> StoreResult<()>;
}

/// Events, webhook endpoints and their deliveries.
#[async_trait]
pub trait EventsTx: Send {
    /// Adds an event to the transaction, with a delivery of it to every
    /// enabled webhook endpoint that wants its type and account. Both are
    /// written together with the transaction's other events, at the latest
    /// when it commits (a duplicate id fails then); the transaction's own
    /// reads of events, deliveries and endpoints see them.
    async fn insert_event(&mut self, event: &Event) -> StoreResult<()>;
    /// An event by id.
    async fn event(&mut self, id: &EventId) -> StoreResult<Option<Event>>;
    /// Events matching `filter`, newest first.
    async fn events(&mut self, filter: &EventFilter) -> StoreResult<Vec<Event>>;
    /// Adds a webhook endpoint.
    async fn insert_webhook_endpoint(&mut self, endpoint: &WebhookEndpoint) -> StoreResult<()>;
    /// A webhook endpoint by id.
    async fn webhook_endpoint(&mut self, id: &WebhookEndpointId) -> StoreResult<Option<WebhookEndpoint>>;
    /// Webhook endpoints, oldest first, at most `limit`: every one (`None`),
    /// or those registered for one account (`Some(Some(id))`) or for every
    /// account (`Some(None)`).
    async fn webhook_endpoints(&mut self, scope: Option<Option<&str>>, limit: i64)
    -> StoreResult<Vec<WebhookEndpoint>>;
    /// Writes an endpoint's changeable fields.
    async fn update_webhook_endpoint(&mut self, endpoint: &WebhookEndpoint) -> StoreResult<()>;
    /// Deletes an endpoint and its pending deliveries.
    async fn delete_webhook_endpoint(&mut self, id: &WebhookEndpointId) -> StoreResult<()>;
    /// Clears an endpoint's failure record after a success.
    async fn endpoint_succeeded(&mut self, id: &WebhookEndpointId) -> StoreResult<()>;
    /// Notes a failure at `now` and answers since when the endpoint has
    /// been failing.
    async fn endpoint_failed(
        &mut self,
        id: &WebhookEndpointId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<DateTime<Utc>>>;
    /// Queues a delivery.
    async fn insert_delivery(&mut self, delivery: &Delivery) -> StoreResult<()>;
    /// Takes up to `limit` pending deliveries due at `now` whose claim is
    /// free or lapsed, for `worker` until `until`, counting an attempt for
    /// each; other workers skip them meanwhile.
    async fn claim_deliveries(
        &mut self,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryJob>>;
    /// Ends `worker`'s claim of a delivery, moving it to `status` (pending
    /// ones wait until `next_attempt_at`); false when `worker` no longer
    /// held it.
    async fn finish_delivery(
        &mut self,
        id: &str,
        worker: &str,
        status: DeliveryStatus,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool>;
    /// Records an attempt.
    async fn insert_delivery_attempt(&mut self, attempt: &DeliveryAttempt) -> StoreResult<()>;
    /// Attempts of one event and/or one endpoint, newest first, at most `limit`.
    async fn delivery_attempts(
        &mut self,
        event_id: Option<&EventId>,
        endpoint_id: Option<&WebhookEndpointId>,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryAttempt>>;
}

#[cfg(test)]
mod tests {
    /// The `use` paths into this crate that a source file names.
    fn crate_paths(source: &str) -> Vec<&str> {
        source
            .lines()
            .map(str::trim_start)
            .filter(|line| line.starts_with("use crate::") || line.starts_with("pub use crate::"))
            .collect()
    }

    #[test]
    fn the_store_boundary_depends_only_on_the_domain_and_the_records() {
        let sources = [
            ("store.rs", include_str!("store.rs")),
            ("model.rs", include_str!("model.rs")),
            ("model/directory.rs", include_str!("model/directory.rs")),
            ("model/documents.rs", include_str!("model/documents.rs")),
            ("model/events.rs", include_str!("model/events.rs")),
            ("model/ledger.rs", include_str!("model/ledger.rs")),
            ("model/payments.rs", include_str!("model/payments.rs")),
            ("model/refunds.rs", include_str!("model/refunds.rs")),
            ("model/usage.rs", include_str!("model/usage.rs")),
            ("model/webhooks.rs", include_str!("model/webhooks.rs")),
        ];
        for (file, source) in sources {
            for path in crate_paths(source) {
                assert!(path.contains("use crate::model"), "{file} reaches past the records: {path}");
            }
        }
        // The check sees what it is meant to see.
        assert_eq!(crate_paths("use crate::purchase::Purchases;\nuse billing_domain::money::Money;").len(), 1);
    }
}
