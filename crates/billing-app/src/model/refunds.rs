//! What unsubscription keeps: binding quotes, unsubscriptions and refunds.

use billing_domain::catalog::Commodity;
use billing_domain::change::ActionKind;
use billing_domain::ids::{
    AccountId, ChargeId, InstanceId, OrderId, PaymentMethodId, QuoteId, RefundId, UnsubscriptionId,
};
use billing_domain::money::Money;
use billing_domain::order::PaymentMethodKind;
use billing_domain::reason::ReasonCode;
use chrono::{DateTime, Utc};

/// A quote as given to the customer: binding until `expires_at` as long as
/// nothing it was computed from changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredQuote {
    /// Id, `quo_…`.
    pub id: QuoteId,
    /// Owner of the instance.
    pub account_id: AccountId,
    /// The instance quoted.
    pub instance_id: InstanceId,
    /// For a quote of one pending renewal only: that order.
    pub order_id: Option<OrderId>,
    /// When it was computed (its `now`).
    pub created_at: DateTime<Utc>,
    /// Last instant it can be confirmed.
    pub expires_at: DateTime<Utc>,
    /// Policy version it applied.
    pub policy_version: u32,
    /// SHA-256 of everything it was computed from, except the clock.
    pub digest: String,
    /// Whether it can be confirmed.
    pub eligible: bool,
    /// Why not, when not eligible.
    pub reason: Option<ReasonCode>,
    /// The refund it promises.
    pub refund: Money,
    /// The itemized quote as JSON (lines, destinations, reason).
    pub body: String,
    /// What it was for.
    pub action: ActionKind,
    /// For a downgrade: the CUs the quota keeps.
    pub new_quota_cu: Option<u32>,
}

/// A confirmed unsubscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsubscription {
    /// Id, `uns_…`.
    pub id: UnsubscriptionId,
    /// Owner.
    pub account_id: AccountId,
    /// The instance given back.
    pub instance_id: InstanceId,
    /// For a renewal-only unsubscription: the renewal order.
    pub order_id: Option<OrderId>,
    /// The quote executed.
    pub quote_id: QuoteId,
    /// Which commodity.
    pub commodity: Commodity,
    /// Total refunded.
    pub refund: Money,
    /// True when every refunded order came back whole (counts toward the
    /// yearly limit of full refunds).
    pub full_refund: bool,
    /// When.
    pub created_at: DateTime<Utc>,
    /// What was done: an unsubscription, a downgrade, a switch to
    /// pay-as-you-go, or the refund of a quota that could not be activated.
    pub action: RefundCause,
    /// For a downgrade: the CUs the quota kept.
    pub quota_cu_after: Option<u32>,
}

/// Why a set of refunds was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefundCause {
    /// The instance (or a pending renewal) was given back.
    Unsubscribe,
    /// The quota kept fewer CUs.
    Downgrade,
    /// The quota ended and its workspace is billed by the hour.
    SwitchToPayAsYouGo,
    /// A paid quota found no room in its region and was refunded whole
    /// instead of activated (`CAPACITY_EXHAUSTED`).
    ActivationFailed,
}

impl RefundCause {
    /// Every variant.
    pub const ALL: [RefundCause; 4] = [
        RefundCause::Unsubscribe,
        RefundCause::Downgrade,
        RefundCause::SwitchToPayAsYouGo,
        RefundCause::ActivationFailed,
    ];

    /// The name used on the wire and in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            RefundCause::Unsubscribe => "unsubscribe",
            RefundCause::Downgrade => "downgrade",
            RefundCause::SwitchToPayAsYouGo => "switch_to_pay_as_you_go",
            RefundCause::ActivationFailed => "activation_failed",
        }
    }
}

impl From<ActionKind> for RefundCause {
    fn from(action: ActionKind) -> Self {
        match action {
            ActionKind::Unsubscribe => RefundCause::Unsubscribe,
            ActionKind::Downgrade => RefundCause::Downgrade,
            ActionKind::SwitchToPayAsYouGo => RefundCause::SwitchToPayAsYouGo,
        }
    }
}

/// Where a refund is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefundStatus {
    /// Sent or to be sent to a payment channel; no answer yet.
    Pending,
    /// The money arrived.
    Succeeded,
    /// The channel refused it; a linked refund to the balance replaced it.
    Failed,
}

impl RefundStatus {
    /// Every variant.
    pub const ALL: [RefundStatus; 3] = [RefundStatus::Pending, RefundStatus::Succeeded, RefundStatus::Failed];

    /// The name used on the wire and in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
        }
    }
}

/// Money going back to one destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refund {
    /// Id, `ref_…`.
    pub id: RefundId,
    /// The unsubscription it belongs to.
    pub unsubscription_id: UnsubscriptionId,
    /// Owner.
    pub account_id: AccountId,
    /// The order refunded.
    pub order_id: OrderId,
    /// Which of the order's tenders it returns.
    pub tender_index: i64,
    /// How that tender was paid.
    pub from: PaymentMethodKind,
    /// Where the money goes.
    pub destination: PaymentMethodKind,
    /// The card or PayPal account refunded to.
    pub payment_method_id: Option<PaymentMethodId>,
    /// For a card or PayPal refund: the captured charge it returns money
    /// of (the tender's).
    pub charge_id: Option<ChargeId>,
    /// Why it goes there (a destination rule, or `channel_failed`).
    pub rule: String,
    /// How much.
    pub amount: Money,
    /// Where it is.
    pub status: RefundStatus,
    /// The failed refund this one replaces.
    pub rerouted_from: Option<RefundId>,
    /// The channel's reason for a failure.
    pub failure: Option<String>,
    /// How many times a worker has taken it up.
    pub attempts: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its status last changed.
    pub updated_at: DateTime<Utc>,
    /// Latest expected arrival.
    pub expected_by: DateTime<Utc>,
}

/// What listing refunds may filter on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefundFilter {
    /// Only this account's.
    pub account_id: Option<AccountId>,
    /// Only in this status.
    pub status: Option<RefundStatus>,
    /// Only of this unsubscription.
    pub unsubscription_id: Option<UnsubscriptionId>,
    /// Only created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Only created before.
    pub to: Option<DateTime<Utc>>,
    /// Only those listed after this refund: older, or as old with a
    /// smaller id.
    pub starting_after: Option<String>,
    /// At most this many, newest first.
    pub limit: i64,
}

/// The state of an idempotency key when a request claims it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key is new and now held by this transaction.
    Claimed,
    /// The key was used before.
    Used {
        /// Hash of the first request.
        request_hash: String,
        /// The first request's result.
        response: String,
    },
}
