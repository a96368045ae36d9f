//! Wire types: what the API reads and writes, kept apart from the domain and
//! converted explicitly. Amounts are decimal strings with the currency's
//! decimals; instants are RFC 3339. The resources events carry (orders,
//! instances as a purchase leaves them, refunds, unsubscriptions, deleted
//! workspaces) are built from the app's views ([`billing_app::views`]) and
//! write exactly the JSON of the view they come from.

use billing_app::model::{Account, InstanceRecord};
use billing_domain::ids::{InstanceId, OrderId};
use billing_domain::money::{Currency, Money};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::problem::ApiError;

pub mod catalog;
pub mod events;
pub mod names;
pub mod orders;
pub mod refunds;
#[cfg(test)]
mod view_tests;
pub mod workspaces;

pub use catalog::{PlanPackDto, RegionDetailsDto, RegionDto, RegionUpdate};
pub use orders::{OrderDto, PurchaseDto, PurchasedInstanceDto, TenderDto};
pub use refunds::{RefundDto, UnsubscriptionDto, WorkspaceDeletionDto};
pub use workspaces::{DataObjectDto, JobDto, PlanDrawDto, QueueDto, SettlementDto, WorkspaceDetailsDto, WorkspaceDto};

/// Largest amount one request may carry, in minor units (a trillion US
/// dollars): far beyond any real payment, and far enough below the 64-bit
/// limit that balances built from such amounts cannot overflow.
pub const MAX_AMOUNT_MINOR: i64 = 100_000_000_000_000;

/// Reads an amount in `currency`, naming `field` when it is malformed or
/// larger than [`MAX_AMOUNT_MINOR`].
pub fn money(field: &str, currency: Currency, text: &str) -> Result<Money, ApiError> {
    let amount = Money::parse(currency, text).map_err(|e| ApiError::invalid(field, e.to_string()))?;
    if amount.minor().unsigned_abs() > MAX_AMOUNT_MINOR.unsigned_abs() {
        let max = Money::from_minor(currency, MAX_AMOUNT_MINOR);
        return Err(ApiError::invalid(field, format!("must be at most {max} {currency}")));
    }
    Ok(amount)
}

/// Reads a currency code.
pub fn currency(field: &str, text: &str) -> Result<Currency, ApiError> {
    text.parse().map_err(|e: billing_domain::MoneyError| ApiError::invalid(field, e.to_string()))
}

pub use billing_app::views::instant;

/// Reads an RFC 3339 instant, naming `field` when it is malformed.
pub fn parse_instant(field: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ApiError::invalid(field, format!("{text:?} is not an RFC 3339 instant ({e})")))
}

/// Page size: 1 to 100, 50 when not given.
#[derive(Clone, Copy, Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// At most this many items (1 to 100).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

impl PageParams {
    /// The page size, or `400` when outside 1 to 100.
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(50),
            Some(n) if (1..=100).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::invalid("limit", "must be between 1 and 100")),
        }
    }
}

/// A customer account.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountDto {
    /// Id.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Settlement currency.
    pub currency: String,
    /// Cash balance; negative means overdue.
    pub balance: String,
    /// When it was opened.
    pub created_at: String,
}

impl From<&Account> for AccountDto {
    fn from(a: &Account) -> Self {
        AccountDto {
            id: a.id.to_string(),
            name: a.name.clone(),
            currency: a.currency.code().to_owned(),
            balance: a.balance.to_string(),
            created_at: instant(a.created_at),
        }
    }
}

/// An account with what an operator sees at a glance.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountSummaryDto {
    /// The account.
    #[serde(flatten)]
    pub account: AccountDto,
    /// Its instances that are active now.
    pub active_instances: i64,
    /// Its refunds still on their way.
    pub pending_refunds: i64,
}

impl From<&billing_app::directory::AccountSummary> for AccountSummaryDto {
    fn from(s: &billing_app::directory::AccountSummary) -> Self {
        AccountSummaryDto {
            account: AccountDto::from(&s.account),
            active_instances: s.active_instances,
            pending_refunds: s.pending_refunds,
        }
    }
}

/// A request to quote giving an instance back.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// The subscription quota or resource plan.
    #[schema(value_type = String)]
    pub instance_id: InstanceId,
    /// Quote only this pending renewal order of a quota (unsubscriptions
    /// only).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub order_id: Option<OrderId>,
    /// What to quote: `unsubscribe` (the default), `downgrade` (a quota
    /// keeps `new_quota_cu` CUs) or `switch_to_pay_as_you_go` (the quota
    /// ends, its workspace stays and is billed by the hour).
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^(unsubscribe|downgrade|switch_to_pay_as_you_go)$")]
    pub action: Option<String>,
    /// For a downgrade: the CUs the quota keeps (fewer than it has, at least
    /// the region's smallest quota).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100000)]
    pub new_quota_cu: Option<u32>,
}

/// One order's part of a quote.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteLineDto {
    /// The order.
    pub order_id: String,
    /// `current`, `pending_renewal` or `plan`.
    pub kind: String,
    /// Catalog price.
    pub list_price: String,
    /// Discount taken off.
    pub discount: String,
    /// Coupon applied (never refunded).
    pub coupon: String,
    /// Voucher applied (never refunded).
    pub voucher: String,
    /// Cash paid, less what earlier downgrades took out (the order's cash
    /// basis).
    pub cash_paid: String,
    /// For a downgrade: the share of the cash basis the removed CUs take out
    /// (what comes back is this less its consumed part).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_cash: Option<String>,
    /// What comes back.
    pub refund: String,
    /// When it was paid.
    pub paid_at: String,
    /// Start of its period.
    pub period_start: String,
    /// End of its period (exclusive).
    pub period_end: String,
    /// Last day of its period.
    pub expiration_date: String,
    /// For a prorated order: `day`, `second` or `milli_cu_hour`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Units used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<i64>,
    /// Units bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Fee for what was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumed: Option<String>,
}

/// Where one part of a refund goes, and why.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestinationDto {
    /// The order.
    pub order_id: String,
    /// The order's tender.
    pub tender_index: usize,
    /// How it was paid.
    pub from: String,
    /// Where it goes back to.
    pub to: String,
    /// How much.
    pub amount: String,
    /// The rule that chose `to`.
    pub rule: String,
}

/// A binding refund quote.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteDto {
    /// `downgrade` or `switch_to_pay_as_you_go`; absent for an
    /// unsubscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// For a downgrade: the CUs the quota keeps once confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_cu_after: Option<u32>,
    /// Quote id, to confirm with.
    pub quote_id: String,
    /// The instance.
    pub instance_id: String,
    /// The renewal order, for a renewal-only quote.
    pub order_id: Option<String>,
    /// Whether it can be confirmed.
    pub eligible: bool,
    /// Why not, as a stable code.
    pub reason: Option<String>,
    /// Why not, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_message: Option<String>,
    /// Total refund, when eligible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<String>,
    /// `partial_refund`, `unused_money_back` or `non_refundable`.
    pub refund_type: String,
    /// Currency of every amount.
    pub currency: String,
    /// Contributing orders.
    pub lines: Vec<QuoteLineDto>,
    /// Where each part goes.
    pub destinations: Vec<DestinationDto>,
    /// When it was computed.
    pub quoted_at: String,
    /// Last instant it can be confirmed.
    pub expires_at: String,
    /// Policy version applied.
    pub policy_version: u32,
    /// For a quota: the workspace that will be deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<WorkspaceDeletionDto>,
}

/// A request to execute a quote.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeRequest {
    /// The quote to execute.
    pub quote_id: String,
    /// For a quota: the workspace's name, typed to confirm its deletion.
    #[serde(default)]
    pub confirm_workspace_deletion: Option<String>,
}

/// A request to execute the quote of a downgrade or a switch.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaChangeRequest {
    /// The quote to execute.
    pub quote_id: String,
}

/// A prepaid instance with its refund type now.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InstanceDto {
    /// Id.
    pub id: String,
    /// Owner.
    pub account_id: String,
    /// Region.
    pub region_id: String,
    /// `subscription_quota` or `resource_plan`.
    pub kind: String,
    /// `spark_reserved` or `spark_resource_plan`.
    pub commodity: String,
    /// The commodity's display name.
    pub commodity_name: String,
    /// Quotas: the workspace.
    pub workspace_id: Option<String>,
    /// Quotas: CUs reserved.
    pub quota_cu: Option<u32>,
    /// Plans: CU-hours in the pack.
    pub capacity_cu_hours: Option<String>,
    /// Plans: CU-hours used.
    pub used_cu_hours: String,
    /// `pending_payment`, `active`, `expired`, `unsubscribed`, `cancelled`, `switched_to_pay_as_you_go` or `activation_failed`.
    pub state: String,
    /// Renews itself before it ends.
    pub auto_renew: bool,
    /// When it was bought.
    pub created_at: String,
    /// `partial_refund`, `unused_money_back` or `non_refundable`, right now.
    pub refund_type: String,
    /// Why it is not refundable now.
    pub refund_reason: Option<String>,
    /// What would come back now.
    pub refundable_now: Option<String>,
    /// Why a paid quota was never activated: `CAPACITY_EXHAUSTED` (its
    /// region had no room; it was refunded in full).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_failure: Option<String>,
}

impl InstanceDto {
    /// The wire form of `record` with its current refund type.
    pub fn new(record: &InstanceRecord, quote: &billing_domain::Quote) -> InstanceDto {
        let kind = match record.commodity {
            billing_domain::Commodity::SparkReserved => "subscription_quota",
            billing_domain::Commodity::SparkResourcePlan => "resource_plan",
        };
        InstanceDto {
            id: record.id.to_string(),
            account_id: record.account_id.to_string(),
            region_id: record.region_id.clone(),
            kind: kind.to_owned(),
            commodity: record.commodity.code().to_owned(),
            commodity_name: record.commodity.display_name().to_owned(),
            workspace_id: record.workspace_id.as_ref().map(ToString::to_string),
            quota_cu: record.quota_cu,
            capacity_cu_hours: record.capacity.map(|c| c.to_string()),
            used_cu_hours: record.used.to_string(),
            state: record.state.as_str().to_owned(),
            auto_renew: record.auto_renew,
            created_at: instant(record.created_at),
            refund_type: quote.refund_type.as_str().to_owned(),
            refund_reason: quote.reason.map(|r| r.code().to_owned()),
            refundable_now: quote.eligible().then(|| quote.refund.to_string()),
            activation_failure: (record.state == billing_app::model::InstanceState::ActivationFailed)
                .then(|| billing_app::activation::CAPACITY_EXHAUSTED.to_owned()),
        }
    }
}
