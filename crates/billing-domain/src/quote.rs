//! The refund quote: a pure function of an instance, its orders, the policy,
//! the billing zone and `now`, itemized so that every figure can be explained.

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::calendar::{BillingPeriod, BillingZone, CalendarError, ProrationUnit, first_period, period_from_anchor};
use crate::change::{ActionKind, Share};
use crate::destination::{Destination, route_tenders};
use crate::ids::OrderId;
use crate::money::{Currency, Money, MoneyError, floor_to_minor};
use crate::order::{Order, OrderCharges, OrderKind, OrderStatus};
use crate::policy::{Policy, ResourcePlanWindow};
use crate::reason::ReasonCode;
use crate::usage::CuHours;

/// What kind of thing is being given back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InstanceKind {
    /// CUs reserved for a workspace (`spark_reserved`).
    SubscriptionQuota,
    /// A prepaid CU-hour pack (`spark_resource_plan`).
    ResourcePlan,
    /// Usage billed after the fact; nothing prepaid.
    PayAsYouGo,
}

impl InstanceKind {
    /// The name used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            InstanceKind::SubscriptionQuota => "subscription_quota",
            InstanceKind::ResourcePlan => "resource_plan",
            InstanceKind::PayAsYouGo => "pay_as_you_go",
        }
    }
}

/// Whether the instance is still held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InstanceStatus {
    /// Held by the customer (possibly expired).
    Active,
    /// Given back.
    Unsubscribed,
}

/// Everything about one instance that its quote depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    /// Quota, plan or pay-as-you-go.
    pub kind: InstanceKind,
    /// Held or given back.
    pub status: InstanceStatus,
    /// Plans: CU-hours drawn so far.
    pub used: CuHours,
    /// Plans: CU-hours the pack holds (needed only for partial plan refunds).
    pub capacity: Option<CuHours>,
    /// Bought under terms that exclude refunds.
    pub promotion_non_refundable: bool,
    /// Came from another account.
    pub transferred: bool,
    /// Quotas: the CUs reserved now (needed to quote a downgrade).
    pub quota_cu: Option<u32>,
    /// Full refunds this account already had this calendar year for this
    /// commodity (counted in the billing zone).
    pub full_refunds_this_year: u32,
    /// Orders, oldest first; the first is the `new` one.
    pub orders: Vec<Order>,
}

/// The circumstances of a quote.
#[derive(Clone, Copy, Debug)]
pub struct QuoteContext<'a> {
    /// The account's settlement currency now.
    pub account_currency: Currency,
    /// The policy version in force at `now`.
    pub policy: &'a Policy,
    /// The region's billing zone.
    pub zone: BillingZone,
    /// The moment of the quote.
    pub now: DateTime<Utc>,
}

/// The refund type shown next to an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefundType {
    /// Quotas: the unused part of the current period, pending renewals in full.
    PartialRefund,
    /// Plans: everything back if unused within the window.
    UnusedMoneyBack,
    /// Nothing can come back now.
    NonRefundable,
}

impl RefundType {
    /// The name used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            RefundType::PartialRefund => "partial_refund",
            RefundType::UnusedMoneyBack => "unused_money_back",
            RefundType::NonRefundable => "non_refundable",
        }
    }
}

/// The role an order plays in the quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LineKind {
    /// The quota order whose period contains `now`: refunded pro rata.
    Current,
    /// A quota renewal that has not started: refunded in full.
    PendingRenewal,
    /// A resource plan's order.
    Plan,
}

impl LineKind {
    /// The name used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            LineKind::Current => "current",
            LineKind::PendingRenewal => "pending_renewal",
            LineKind::Plan => "plan",
        }
    }
}

/// What was counted to prorate an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProrationBasis {
    /// Time, in the policy's unit.
    Time(ProrationUnit),
    /// A plan's CU-hours, in milli-CU-hours.
    MilliCuHours,
}

/// How the consumed part of an order was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proration {
    /// What `used` and `total` count.
    pub basis: ProrationBasis,
    /// Units used so far.
    pub used: i64,
    /// Units bought.
    pub total: i64,
    /// `floor_to_minor(used / total × cash_paid)`.
    pub consumed: Money,
}

/// One order's contribution to the refund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuoteLine {
    /// Position of the order in [`Instance::orders`].
    pub order_index: usize,
    /// The order's id.
    pub order_id: OrderId,
    /// Its role.
    pub kind: LineKind,
    /// How its price was built up (vouchers and coupons shown, not refunded).
    pub charges: OrderCharges,
    /// The order's cash basis: cash paid less what earlier downgrades took
    /// out (equal to the cash paid for an order never downgraded).
    pub cash_paid: Money,
    /// Downgrades: the removed tranche of the basis, of which `refund` is
    /// the part not yet consumed.
    pub removed: Option<Money>,
    /// The part of `cash_paid` that comes back.
    pub refund: Money,
    /// Its subscription or validity period.
    pub period: BillingPeriod,
    /// When it was paid.
    pub paid_at: DateTime<Utc>,
    /// Present when only part of the cash comes back.
    pub proration: Option<Proration>,
}

/// A refund quote: eligible with a refund, or not with a reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    /// What the quote is for.
    pub action: ActionKind,
    /// Downgrades: the CUs the quota keeps once confirmed.
    pub quota_cu_after: Option<u32>,
    /// Currency of every amount.
    pub currency: Currency,
    /// Why nothing can be refunded; `None` when eligible.
    pub reason: Option<ReasonCode>,
    /// The refund type now.
    pub refund_type: RefundType,
    /// Total refund (zero when not eligible).
    pub refund: Money,
    /// Contributing orders. Kept on a refusal that came after the refund was
    /// computed, to show what it would have been.
    pub lines: Vec<QuoteLine>,
    /// Where each non-zero part goes; empty when not eligible.
    pub destinations: Vec<Destination>,
}

impl Quote {
    pub(crate) fn refused(currency: Currency, reason: ReasonCode) -> Quote {
        Quote {
            action: ActionKind::Unsubscribe,
            quota_cu_after: None,
            currency,
            reason: Some(reason),
            refund_type: RefundType::NonRefundable,
            refund: Money::zero(currency),
            lines: Vec::new(),
            destinations: Vec::new(),
        }
    }

    /// True when the instance can be given back for [`Quote::refund`].
    pub fn eligible(&self) -> bool {
        self.reason.is_none()
    }

    /// Why nothing can be refunded, in words; `None` when eligible. A quote
    /// that refunds nothing says which of its causes holds: everything paid
    /// in cash is used up, or only vouchers and coupons paid.
    pub fn reason_message(&self) -> Option<&'static str> {
        let reason = self.reason?;
        if reason != ReasonCode::ZeroRefundable || self.lines.is_empty() {
            return Some(reason.message());
        }
        if self.lines.iter().all(|l| l.cash_paid.is_zero()) {
            return Some(
                "Nothing would come back: it was paid only with vouchers and coupons, which are never refunded.",
            );
        }
        if self.lines.iter().all(|l| l.kind == LineKind::Plan) {
            return Some("Nothing would come back: the capacity paid for in cash has been used.");
        }
        Some(
            "Nothing would come back: every paid day has been used (the day of unsubscribing counts as a whole \
             day).",
        )
    }
}

/// A quote that could not be computed because its inputs are inconsistent.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum QuoteError {
    /// Arithmetic failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// A period could not be computed.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// The instance's orders do not describe a valid history.
    #[error("invalid instance: {0}")]
    InvalidInstance(&'static str),
    /// A money invariant failed; the quote must not be used.
    #[error("invariant violated: {0}")]
    Invariant(&'static str),
}

/// Quotes the refund for giving `instance` back at `ctx.now`.
///
/// `None` stands for an instance that does not exist (or is not the
/// caller's). Refusals are checked in the order of [`ReasonCode::ALL`].
pub fn quote_refund(instance: Option<&Instance>, ctx: &QuoteContext<'_>) -> Result<Quote, QuoteError> {
    let Some(instance) = instance else {
        return Ok(Quote::refused(ctx.account_currency, ReasonCode::NotFound));
    };
    if let Some(reason) = first_flag_refusal(instance) {
        return Ok(Quote::refused(ctx.account_currency, reason));
    }
    let mut lines = Vec::with_capacity(instance.orders.len());
    let refusal = match instance.kind {
        InstanceKind::SubscriptionQuota => quota_lines(instance, ctx, Share::Whole, &mut lines)?,
        InstanceKind::ResourcePlan => plan_line(instance, ctx, &mut lines)?,
        InstanceKind::PayAsYouGo => Some(ReasonCode::NotPrepaid),
    };
    if let Some(reason) = refusal {
        return Ok(Quote::refused(ctx.account_currency, reason));
    }
    finish(instance, ctx, lines, true)
}

/// Quotes giving back one pending renewal of a quota, and nothing else: the
/// renewal comes back in full, the current period stays.
///
/// The instance's refusals apply as for [`quote_refund`]; the last two
/// (yearly limit, zero refund) are judged on the renewal alone. An
/// `order_id` that is not a pending renewal of the quota is an error.
pub fn quote_renewal_refund(
    instance: Option<&Instance>,
    order_id: &OrderId,
    ctx: &QuoteContext<'_>,
) -> Result<Quote, QuoteError> {
    let Some(instance) = instance else {
        return Ok(Quote::refused(ctx.account_currency, ReasonCode::NotFound));
    };
    if let Some(reason) = first_flag_refusal(instance) {
        return Ok(Quote::refused(ctx.account_currency, reason));
    }
    if instance.kind != InstanceKind::SubscriptionQuota {
        return Err(QuoteError::InvalidInstance("only subscription quotas have renewals"));
    }
    // A renewal given back already is said to be so, not to be unknown.
    if instance.orders.iter().any(|o| o.id == *order_id && o.status == OrderStatus::Refunded) {
        return Ok(Quote::refused(ctx.account_currency, ReasonCode::AlreadyUnsubscribed));
    }
    let mut lines = Vec::with_capacity(instance.orders.len());
    if let Some(reason) = quota_lines(instance, ctx, Share::Whole, &mut lines)? {
        return Ok(Quote::refused(ctx.account_currency, reason));
    }
    lines.retain(|l| l.order_id == *order_id && l.kind == LineKind::PendingRenewal);
    if lines.is_empty() {
        return Err(QuoteError::InvalidInstance("the order is not a pending renewal of this quota"));
    }
    finish(instance, ctx, lines, true)
}

/// The refusals that need no computation: kind, status and flags.
pub(crate) fn first_flag_refusal(instance: &Instance) -> Option<ReasonCode> {
    let unpaid = instance.orders.iter().any(|o| o.status == OrderStatus::Unpaid);
    [
        (instance.kind == InstanceKind::PayAsYouGo, ReasonCode::NotPrepaid),
        (instance.status == InstanceStatus::Unsubscribed, ReasonCode::AlreadyUnsubscribed),
        (unpaid, ReasonCode::UnpaidOrderPending),
        (instance.promotion_non_refundable, ReasonCode::PromotionNonRefundable),
        (instance.transferred, ReasonCode::TransferredResource),
    ]
    .into_iter()
    .find_map(|(applies, reason)| applies.then_some(reason))
}

fn paid_at(order: &Order) -> Result<DateTime<Utc>, QuoteError> {
    order.paid_at.ok_or(QuoteError::InvalidInstance("a paid order has no paid_at"))
}

/// Builds the quota's lines: `share` of the current period's basis pro rata
/// and `share` of every pending renewal's in full. Cancelled and refunded orders are not part of the chain,
/// so refunding a pending renewal alone puts the expiration date back.
pub(crate) fn quota_lines(
    instance: &Instance,
    ctx: &QuoteContext<'_>,
    share: Share,
    lines: &mut Vec<QuoteLine>,
) -> Result<Option<ReasonCode>, QuoteError> {
    let mut paid = instance.orders.iter().enumerate().filter(|(_, o)| o.status == OrderStatus::Paid);
    let Some((first_index, first)) = paid.next() else {
        return Ok(Some(ReasonCode::Expired));
    };
    let anchor = match (first.kind, first.start) {
        (OrderKind::New, Some(start)) => start,
        _ => {
            return Err(QuoteError::InvalidInstance(
                "the first paid order of a quota must be a new order with a start",
            ));
        }
    };
    let mut months = first.months;
    let mut period = first_period(ctx.zone, anchor, months)?;
    let mut current = Some((first_index, first, period));
    while let Some((index, order, period_of_order)) = current.take() {
        // Checked for every paid order, ended ones included: the mismatch
        // comes before EXPIRED in the order of refusals.
        if order.currency() != ctx.account_currency {
            return Ok(Some(ReasonCode::CurrencyMismatch));
        }
        if let Some(line) = quota_line(index, order, period_of_order, share, ctx)? {
            lines.push(line);
        }
        if let Some((next_index, next)) = paid.next() {
            if next.kind != OrderKind::Renewal {
                return Err(QuoteError::InvalidInstance("only the first order of a quota may be a new order"));
            }
            months = months.checked_add(next.months).ok_or(QuoteError::InvalidInstance("too many months"))?;
            period = period_from_anchor(ctx.zone, anchor, period.end, months)?;
            current = Some((next_index, next, period));
        }
    }
    Ok(if lines.is_empty() { Some(ReasonCode::Expired) } else { None })
}

/// The line of one quota order, or `None` when its period has ended.
fn quota_line(
    index: usize,
    order: &Order,
    period: BillingPeriod,
    share: Share,
    ctx: &QuoteContext<'_>,
) -> Result<Option<QuoteLine>, QuoteError> {
    let now = ctx.now;
    if period.end <= now {
        return Ok(None);
    }
    let basis = order.cash_basis()?;
    let given_back = share.of(basis)?;
    let (kind, proration, refund) = if period.start <= now {
        let unit = ctx.policy.proration_unit;
        let total = unit.subscription_units(&period).max(1);
        let used = unit.used_units(&period, now);
        let consumed = floor_to_minor(given_back, used, total)?;
        let proration = Proration { basis: ProrationBasis::Time(unit), used, total, consumed };
        (LineKind::Current, Some(proration), given_back.checked_sub(consumed)?)
    } else {
        (LineKind::PendingRenewal, None, given_back)
    };
    let mut line = line(index, order, kind, basis, refund, period, proration)?;
    line.removed = share.is_partial().then_some(given_back);
    Ok(Some(line))
}

fn line(
    order_index: usize,
    order: &Order,
    kind: LineKind,
    cash_paid: Money,
    refund: Money,
    period: BillingPeriod,
    proration: Option<Proration>,
) -> Result<QuoteLine, QuoteError> {
    Ok(QuoteLine {
        order_index,
        order_id: order.id.clone(),
        kind,
        charges: order.charges,
        cash_paid,
        removed: None,
        refund,
        period,
        paid_at: paid_at(order)?,
        proration,
    })
}

/// Builds the plan's single line, or the reason it gets none.
fn plan_line(
    instance: &Instance,
    ctx: &QuoteContext<'_>,
    lines: &mut Vec<QuoteLine>,
) -> Result<Option<ReasonCode>, QuoteError> {
    let policy = ctx.policy;
    let Some((index, order)) = instance.orders.iter().enumerate().find(|(_, o)| o.status == OrderStatus::Paid) else {
        return Ok(Some(ReasonCode::Expired));
    };
    let start = order.start.ok_or(QuoteError::InvalidInstance("a resource plan order needs a start"))?;
    let period = first_period(ctx.zone, start, order.months)?;
    let paid_at = paid_at(order)?;
    if order.currency() != ctx.account_currency {
        return Ok(Some(ReasonCode::CurrencyMismatch));
    }
    if period.end <= ctx.now {
        return Ok(Some(ReasonCode::Expired));
    }
    let used = instance.used.milli() > 0;
    let partial_capacity = instance.capacity.filter(|c| policy.resource_plan_partial_refund && c.milli() > 0);
    if used && partial_capacity.is_none() {
        return Ok(Some(ReasonCode::ResourcePlanUsed));
    }
    let within_window = match policy.resource_plan_window {
        ResourcePlanWindow::After(window) => ctx.now - paid_at <= window.as_duration(),
        ResourcePlanWindow::Validity => true,
    };
    if !within_window {
        return Ok(Some(ReasonCode::RefundWindowPassed));
    }
    let cash_paid = order.cash_basis()?;
    let (refund, proration) = match partial_capacity {
        Some(capacity) if used => {
            let used_milli = instance.used.milli().min(capacity.milli());
            let consumed = floor_to_minor(cash_paid, used_milli, capacity.milli())?;
            let proration =
                Proration { basis: ProrationBasis::MilliCuHours, used: used_milli, total: capacity.milli(), consumed };
            (cash_paid.checked_sub(consumed)?, Some(proration))
        }
        _ => (cash_paid, None),
    };
    lines.push(line(index, order, LineKind::Plan, cash_paid, refund, period, proration)?);
    Ok(None)
}

/// Adds up the lines, applies the last two refusals and routes the money.
/// `limited` says whether a full refund counts toward the yearly limit
/// (downgrades never do).
pub(crate) fn finish(
    instance: &Instance,
    ctx: &QuoteContext<'_>,
    lines: Vec<QuoteLine>,
    limited: bool,
) -> Result<Quote, QuoteError> {
    let currency = ctx.account_currency;
    let mut refund = Money::zero(currency);
    let mut cash = Money::zero(currency);
    for line in &lines {
        // Checked on the quoting path; the store checks again before commit.
        let most = line.removed.unwrap_or(line.cash_paid);
        if line.refund.is_negative() || line.refund.minor() > most.minor() || most.minor() > line.cash_paid.minor() {
            return Err(QuoteError::Invariant("a line's refund must lie between zero and its cash paid"));
        }
        refund = refund.checked_add(line.refund)?;
        cash = cash.checked_add(line.cash_paid)?;
    }
    let refund_type = match instance.kind {
        InstanceKind::ResourcePlan if lines.iter().all(|l| l.proration.is_none()) => RefundType::UnusedMoneyBack,
        _ => RefundType::PartialRefund,
    };
    let full = !refund.is_zero() && refund == cash;
    let limit_reached =
        limited && ctx.policy.full_refunds_per_year.is_some_and(|n| instance.full_refunds_this_year >= n);
    let reason = if full && limit_reached {
        Some(ReasonCode::AnnualLimitReached)
    } else if refund.is_zero() {
        Some(ReasonCode::ZeroRefundable)
    } else {
        None
    };
    if let Some(reason) = reason {
        let mut quote = Quote::refused(currency, reason);
        quote.lines = lines;
        return Ok(quote);
    }
    let destinations = route_tenders(instance, &lines, ctx)?;
    Ok(Quote {
        action: ActionKind::Unsubscribe,
        quota_cu_after: None,
        currency,
        reason: None,
        refund_type,
        refund,
        lines,
        destinations,
    })
}
