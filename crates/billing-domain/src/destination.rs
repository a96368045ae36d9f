//! Where refunded money goes: each order's refund split over its cash tenders
//! in proportion, and each part sent back the way it came unless a rule says
//! the account balance instead.

use chrono::{DateTime, Utc};

use crate::ids::OrderId;
use crate::money::{Money, split_into};
use crate::order::{MAX_TENDERS_PER_ORDER, PaymentMethodKind, Tender};
use crate::policy::Policy;
use crate::quote::{Instance, QuoteContext, QuoteError, QuoteLine};

/// Why a part goes where it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RouteRule {
    /// Back to the method it was paid with.
    OriginalMethod,
    /// Card payment older than the policy's card limit: to the balance.
    CardOlderThanMaxAge,
    /// PayPal payment older than the policy's PayPal limit: to the balance.
    PaypalOlderThanMaxAge,
    /// Bank transfers are always refunded to the balance.
    BankTransferToBalance,
    /// The instrument is no longer valid (e.g. a cancelled card): to the balance.
    MethodInvalid,
}

impl RouteRule {
    /// The stable name of the rule.
    pub const fn as_str(self) -> &'static str {
        match self {
            RouteRule::OriginalMethod => "original_method",
            RouteRule::CardOlderThanMaxAge => "card_older_than_max_age",
            RouteRule::PaypalOlderThanMaxAge => "paypal_older_than_max_age",
            RouteRule::BankTransferToBalance => "bank_transfer_to_balance",
            RouteRule::MethodInvalid => "method_invalid",
        }
    }
}

/// One part of a refund and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    /// Position of the order in [`Instance::orders`].
    pub order_index: usize,
    /// The order's id.
    pub order_id: OrderId,
    /// Position of the tender in the order's tenders.
    pub tender_index: usize,
    /// How that part was paid.
    pub from: PaymentMethodKind,
    /// Where it goes back to.
    pub to: PaymentMethodKind,
    /// How much.
    pub amount: Money,
    /// Why it goes there.
    pub rule: RouteRule,
}

/// Where a tender's refund goes under `policy`, `now`.
pub fn route(
    tender: &Tender,
    paid_at: DateTime<Utc>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> (PaymentMethodKind, RouteRule) {
    let age = now - paid_at;
    match tender.method {
        PaymentMethodKind::Balance => (PaymentMethodKind::Balance, RouteRule::OriginalMethod),
        PaymentMethodKind::BankTransfer => (PaymentMethodKind::Balance, RouteRule::BankTransferToBalance),
        PaymentMethodKind::Card if age > policy.card_refund_max_age.as_duration() => {
            (PaymentMethodKind::Balance, RouteRule::CardOlderThanMaxAge)
        }
        PaymentMethodKind::Paypal if age > policy.paypal_refund_max_age.as_duration() => {
            (PaymentMethodKind::Balance, RouteRule::PaypalOlderThanMaxAge)
        }
        PaymentMethodKind::Card | PaymentMethodKind::Paypal if !tender.instrument_valid => {
            (PaymentMethodKind::Balance, RouteRule::MethodInvalid)
        }
        method => (method, RouteRule::OriginalMethod),
    }
}

/// Splits every line's refund over its order's tenders and routes each
/// non-zero part. Only the returned vector is allocated.
pub(crate) fn route_tenders(
    instance: &Instance,
    lines: &[QuoteLine],
    ctx: &QuoteContext<'_>,
) -> Result<Vec<Destination>, QuoteError> {
    let tender_count: usize = lines.iter().map(|l| instance.orders[l.order_index].tenders.len()).sum();
    let mut destinations = Vec::with_capacity(tender_count);
    for line in lines {
        let order = &instance.orders[line.order_index];
        if order.tenders.len() > MAX_TENDERS_PER_ORDER {
            return Err(QuoteError::InvalidInstance("too many tenders in one order"));
        }
        let mut weights = [Money::zero(line.refund.currency()); MAX_TENDERS_PER_ORDER];
        let mut parts = weights;
        let n = order.tenders.len();
        for (weight, tender) in weights.iter_mut().zip(&order.tenders) {
            *weight = tender.amount;
        }
        split_into(line.refund, &weights[..n], &mut parts[..n])?;
        let mut routed = Money::zero(line.refund.currency());
        for (tender_index, (tender, amount)) in order.tenders.iter().zip(parts).enumerate() {
            routed = routed.checked_add(amount)?;
            if amount.is_zero() {
                continue;
            }
            let (to, rule) = route(tender, line.paid_at, ctx.now, ctx.policy);
            destinations.push(Destination {
                order_index: line.order_index,
                order_id: line.order_id.clone(),
                tender_index,
                from: tender.method,
                to,
                amount,
                rule,
            });
        }
        if routed != line.refund {
            return Err(QuoteError::Invariant("the parts of a refund must add up to it"));
        }
    }
    Ok(destinations)
}
