//! The records the use cases keep: plain data passed across the `Store`
//! boundary. The store maps them to rows; nothing here knows SQL.

pub mod directory;
pub mod documents;
pub mod events;
pub mod ledger;
pub mod payments;
pub mod refunds;
pub mod usage;
pub mod webhooks;

use billing_domain::catalog::Commodity;
use billing_domain::ids::{
    AccountId, ApiKeyId, BenefitId, ChargeId, InstanceId, OrderId, PaymentMethodId, UnsubscriptionId, WorkspaceId,
};
use billing_domain::money::{Currency, Money};
use billing_domain::order::{OrderCharges, OrderKind, OrderStatus, PaymentMethodKind};
use billing_domain::usage::CuHours;
use chrono::{DateTime, Timelike, Utc};

/// A customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Id, `acc_…`.
    pub id: AccountId,
    /// Unique display name.
    pub name: String,
    /// Settlement currency.
    pub currency: Currency,
    /// Cash balance; below zero means overdue.
    pub balance: Money,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The language it reads the console in (one of [`Account::LOCALES`]),
    /// or `None` when it has not chosen one.
    pub locale: Option<String>,
}

impl Account {
    /// The locale tags an account may choose.
    pub const LOCALES: [&'static str; 2] = ["en-US", "zh-CN"];
}

/// A way the account pays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentMethod {
    /// Id, `pm_…`.
    pub id: PaymentMethodId,
    /// Owner.
    pub account_id: AccountId,
    /// Card, PayPal, bank transfer (the balance needs no record).
    pub kind: PaymentMethodKind,
    /// What the customer sees, e.g. "Visa ending 4242".
    pub label: String,
    /// False once the instrument can no longer be charged or refunded.
    pub valid: bool,
}

/// Voucher or coupon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BenefitKind {
    /// A prepaid credit granted by the provider.
    Voucher,
    /// A discount granted by a promotion.
    Coupon,
}

impl BenefitKind {
    /// Every variant.
    pub const ALL: [BenefitKind; 2] = [BenefitKind::Voucher, BenefitKind::Coupon];

    /// The name used on the wire and in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            BenefitKind::Voucher => "voucher",
            BenefitKind::Coupon => "coupon",
        }
    }
}

/// The life of a benefit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BenefitStatus {
    /// Can still be applied.
    Active,
    /// Applied to an order.
    Used,
    /// Applied to an order that was later refunded: gone for good.
    Void,
}

impl BenefitStatus {
    /// Every variant.
    pub const ALL: [BenefitStatus; 3] = [BenefitStatus::Active, BenefitStatus::Used, BenefitStatus::Void];

    /// The name used on the wire and in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            BenefitStatus::Active => "active",
            BenefitStatus::Used => "used",
            BenefitStatus::Void => "void",
        }
    }
}

/// A voucher or coupon held by an account. Each is applied whole, to one
/// order; it is never turned into cash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Benefit {
    /// Id, `ben_…`.
    pub id: BenefitId,
    /// Holder.
    pub account_id: AccountId,
    /// Voucher or coupon.
    pub kind: BenefitKind,
    /// Face value.
    pub amount: Money,
    /// Last instant it can be applied.
    pub expires_at: DateTime<Utc>,
    /// Where it is in its life.
    pub status: BenefitStatus,
    /// The order it was applied to.
    pub order_id: Option<OrderId>,
}

/// How a workspace is billed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BillingMethod {
    /// Everything billed by the hour.
    PayAsYouGo,
    /// A quota covers its usage.
    Subscription,
    /// A quota plus pay-as-you-go beyond it.
    Hybrid,
}

impl BillingMethod {
    /// Every variant.
    pub const ALL: [BillingMethod; 3] = [BillingMethod::PayAsYouGo, BillingMethod::Subscription, BillingMethod::Hybrid];

    /// The name used on the wire and in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            BillingMethod::PayAsYouGo => "pay_as_you_go",
            BillingMethod::Subscription => "subscription",
            BillingMethod::Hybrid => "hybrid",
        }
    }
}

/// Whether a workspace exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WorkspaceStatus {
    /// In use.
    Active,
    /// Deleted with its quota; only a tombstone is left.
    Deleted,
}

impl WorkspaceStatus {
    /// Every variant.
    pub const ALL: [WorkspaceStatus; 2] = [WorkspaceStatus::Active, WorkspaceStatus::Deleted];

    /// The name used on the wire and in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            WorkspaceStatus::Active => "active",
            WorkspaceStatus::Deleted => "deleted",
        }
    }
}

/// A customer's Spark workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workspace {
    /// Id, `ws_…`.
    pub id: WorkspaceId,
    /// Owner.
    pub account_id: AccountId,
    /// Region it runs in.
    pub region_id: String,
    /// Name, unique per account among active workspaces.
    pub name: String,
    /// How it is billed.
    pub billing_method: BillingMethod,
    /// Active or deleted.
    pub status: WorkspaceStatus,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A Spark job: a name and its script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Id, `job_…`.
    pub id: String,
    /// Workspace.
    pub workspace_id: WorkspaceId,
    /// Name, unique in the workspace.
    pub name: String,
    /// The script's text.
    pub script: String,
}

/// A data object stored in a workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataObject {
    /// Id, `obj_…`.
    pub id: String,
    /// Workspace.
    pub workspace_id: WorkspaceId,
    /// Name.
    pub name: String,
    /// Size in bytes.
    pub size_bytes: i64,
}

/// Whether a queue runs jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueueStatus {
    /// Runs jobs.
    Running,
    /// Stopped, e.g. because its quota expired.
    Stopped,
}

impl QueueStatus {
    /// Every variant.
    pub const ALL: [QueueStatus; 2] = [QueueStatus::Running, QueueStatus::Stopped];

    /// The name used on the wire and in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            QueueStatus::Running => "running",
            QueueStatus::Stopped => "stopped",
        }
    }
}

/// A workspace's job queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queue {
    /// Id, `q_…`.
    pub id: String,
    /// Workspace.
    pub workspace_id: WorkspaceId,
    /// Name.
    pub name: String,
    /// True for the queue fed by the workspace's quota.
    pub subscription: bool,
    /// Running or stopped.
    pub status: QueueStatus,
}

/// What is left of a deleted workspace, for audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tombstone {
    /// The deleted workspace's id.
    pub workspace_id: WorkspaceId,
    /// Its owner.
    pub account_id: AccountId,
    /// Its name.
    pub name: String,
    /// Jobs deleted.
    pub jobs: i64,
    /// Data objects deleted.
    pub data_objects: i64,
    /// Queues deleted.
    pub queues: i64,
    /// When.
    pub deleted_at: DateTime<Utc>,
}

/// The life of a prepaid instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InstanceState {
    /// Bought, awaiting the first payment.
    PendingPayment,
    /// Paid and in force (or with a pending period).
    Active,
    /// Its last period ended.
    Expired,
    /// Given back with a refund.
    Unsubscribed,
    /// The first order was never paid.
    Cancelled,
    /// A quota ended early by a switch to pay-as-you-go; its workspace
    /// stays.
    Switched,
    /// A paid quota the region had no room for: refunded in full, never
    /// active.
    ActivationFailed,
}

impl InstanceState {
    /// Every variant.
    pub const ALL: [InstanceState; 7] = [
        InstanceState::PendingPayment,
        InstanceState::Active,
        InstanceState::Expired,
        InstanceState::Unsubscribed,
        InstanceState::Cancelled,
        InstanceState::Switched,
        InstanceState::ActivationFailed,
    ];

    /// The name used on the wire and in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            InstanceState::PendingPayment => "pending_payment",
            InstanceState::Active => "active",
            InstanceState::Expired => "expired",
            InstanceState::Unsubscribed => "unsubscribed",
            InstanceState::Cancelled => "cancelled",
            InstanceState::Switched => "switched_to_pay_as_you_go",
            InstanceState::ActivationFailed => "activation_failed",
        }
    }
}

/// A prepaid instance: a subscription quota or a resource plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceRecord {
    /// Id, `ins_…`.
    pub id: InstanceId,
    /// Owner.
    pub account_id: AccountId,
    /// Region.
    pub region_id: String,
    /// Which commodity.
    pub commodity: Commodity,
    /// Quotas: the workspace it reserves CUs for.
    pub workspace_id: Option<WorkspaceId>,
    /// Quotas: CUs reserved.
    pub quota_cu: Option<u32>,
    /// Plans: CU-hours in the pack.
    pub capacity: Option<CuHours>,
    /// Plans: CU-hours drawn so far.
    pub used: CuHours,
    /// Where it is in its life.
    pub state: InstanceState,
    /// Bought under terms that exclude refunds.
    pub promotion_non_refundable: bool,
    /// Came from another account.
    pub transferred: bool,
    /// Renew automatically 9 days before the end.
    pub auto_renew: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A change of a quota's CUs, in force from a clock hour on: a downgrade
/// (to fewer CUs) or a switch to pay-as-you-go (to none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaChange {
    /// The quota.
    pub instance_id: InstanceId,
    /// The confirmation that made it.
    pub unsubscription_id: UnsubscriptionId,
    /// The first hour settled at the new CUs.
    pub effective_from: DateTime<Utc>,
    /// CUs before.
    pub quota_cu_before: u32,
    /// CUs from `effective_from` on.
    pub quota_cu_after: u32,
}

/// One cash part of a payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenderRecord {
    /// How it was paid.
    pub method: PaymentMethodKind,
    /// The payment method charged (none for the balance).
    pub payment_method_id: Option<PaymentMethodId>,
    /// How much was paid.
    pub amount: Money,
    /// For a card or PayPal tender: the captured charge it was paid by.
    pub charge_id: Option<ChargeId>,
    /// What downgrades took out of it so far; quotes work on the rest.
    pub released: Money,
}

impl TenderRecord {
    /// What remains of the tender after downgrades.
    pub fn remaining(&self) -> Result<Money, billing_domain::money::MoneyError> {
        self.amount.checked_sub(self.released)
    }
}

/// One purchase of an instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRecord {
    /// Id, `ord_…`.
    pub id: OrderId,
    /// The instance bought or renewed.
    pub instance_id: InstanceId,
    /// Buyer.
    pub account_id: AccountId,
    /// New or renewal.
    pub kind: OrderKind,
    /// Payment state.
    pub status: OrderStatus,
    /// Months bought.
    pub months: u32,
    /// Price build-up.
    pub charges: OrderCharges,
    /// Vouchers and coupons applied (ids).
    pub benefit_ids: Vec<BenefitId>,
    /// Cash tenders, set when paid.
    pub tenders: Vec<TenderRecord>,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// Activation instant of a new order (set when paid).
    pub start: Option<DateTime<Utc>>,
    /// Why its last payment did not go through, while it is unpaid.
    pub payment_failure: Option<String>,
    /// Cash taken out of the order by downgrades so far (the tenders'
    /// `released` add up to it).
    pub released_cash: Money,
}

impl OrderRecord {
    /// The order's currency.
    pub fn currency(&self) -> Currency {
        self.charges.list_price.currency()
    }
}

/// One usage record as imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRecord {
    /// Caller's id; importing it again changes nothing.
    pub record_id: String,
    /// Workspace that used the CUs.
    pub workspace_id: String,
    /// Start of the clock hour.
    pub hour_start: DateTime<Utc>,
    /// CU-hours used.
    pub cu_hours: CuHours,
}

/// One line of an audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: an account id, `operator`, or `system`.
    pub actor: String,
    /// What, e.g. `order.paid`.
    pub action: String,
    /// Which thing.
    pub subject: String,
    /// Details as compact JSON.
    pub detail: String,
    /// Hash of the previous event (hex), empty for the first.
    pub prev_hash: String,
    /// Hash of this event (hex).
    pub hash: String,
}

/// An audit event before it is chained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAuditEvent {
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Which thing.
    pub subject: String,
    /// Details as compact JSON.
    pub detail: String,
}

/// What has been settled so far for one workspace-hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettledHour {
    /// CU-hours settled.
    pub usage: CuHours,
    /// Of those, CU-hours the quota covered.
    pub covered: CuHours,
}

/// The settlement of one workspace-hour, or an adjustment to it when usage
/// arrived after the hour was settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// Id, `set_….HH` (see [`Settlement::id_in_day`]); a settlement made
    /// before ids had a day's stem is `set_…` alone.
    pub id: String,
    /// Workspace.
    pub workspace_id: WorkspaceId,
    /// Owner of the workspace.
    pub account_id: AccountId,
    /// Start of the clock hour.
    pub hour_start: DateTime<Utc>,
    /// True when the hour had been settled before.
    pub adjustment: bool,
    /// CU-hours settled by this line.
    pub usage: CuHours,
    /// Covered by the quota.
    pub covered: CuHours,
    /// Drawn from resource plans, per plan instance id.
    pub draws: Vec<(InstanceId, CuHours)>,
    /// Charged pay-as-you-go.
    pub pay_as_you_go: CuHours,
    /// Bill line in thousandths of the major unit.
    pub bill_milli_major: i64,
    /// What was charged.
    pub charge: Money,
    /// When it was settled.
    pub settled_at: DateTime<Utc>,
}

impl Settlement {
    /// The id of the settlement of the hour starting at `hour_start` among
    /// those one import makes for one workspace and UTC day, which share
    /// `stem`: the stem, a dot and the hour of the day in two digits. The
    /// store keeps such settlements together.
    pub fn id_in_day(stem: &str, hour_start: DateTime<Utc>) -> String {
        format!("{stem}.{:02}", hour_start.hour())
    }
}

/// An API key as stored: only its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    /// Id, `key_…` (also the key's visible prefix).
    pub id: ApiKeyId,
    /// The account it acts for; `None` for an operator key.
    pub account_id: Option<AccountId>,
    /// SHA-256 of the whole key, hex.
    pub key_hash: String,
    /// What it is for.
    pub label: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A console session kept on the server: the cookie names it, and signing
/// out ends it for every copy of the cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleSession {
    /// Random id, `ses_…`.
    pub id: String,
    /// SHA-256 (hex) of the API key that signed in.
    pub key_hash: String,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it ends on its own.
    pub expires_at: DateTime<Utc>,
    /// When it was ended by signing out.
    pub ended_at: Option<DateTime<Utc>>,
}
