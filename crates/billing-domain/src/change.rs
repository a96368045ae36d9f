//! Changing a quota without giving it all back: a downgrade to fewer CUs
//! (the removed CUs' share of each order's cash basis comes back, the
//! current order's pro rata) and a switch to pay-as-you-go (quoted exactly
//! as an unsubscription). Also what a confirmed downgrade leaves of an
//! order: its new basis and remaining tenders.

use std::fmt;
use std::str::FromStr;

use crate::money::{Money, MoneyError, split_into};
use crate::order::{MAX_TENDERS_PER_ORDER, Order};
use crate::quote::{
    Instance, InstanceKind, Quote, QuoteContext, QuoteError, finish, first_flag_refusal, quota_lines, quote_refund,
};
use crate::reason::ReasonCode;

/// What a quote is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Give the instance back.
    Unsubscribe,
    /// Keep the quota with fewer CUs.
    Downgrade,
    /// End the quota; the workspace stays and is billed pay-as-you-go.
    SwitchToPayAsYouGo,
}

impl ActionKind {
    /// Every variant.
    pub const ALL: [ActionKind; 3] = [ActionKind::Unsubscribe, ActionKind::Downgrade, ActionKind::SwitchToPayAsYouGo];

    /// The name used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ActionKind::Unsubscribe => "unsubscribe",
            ActionKind::Downgrade => "downgrade",
            ActionKind::SwitchToPayAsYouGo => "switch_to_pay_as_you_go",
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActionKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ActionKind::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown action {s:?} (expected unsubscribe, downgrade or switch_to_pay_as_you_go)"))
    }
}

/// A quote question: the action with what it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Give the instance back ([`quote_refund`]).
    Unsubscribe,
    /// Keep `new_quota_cu`; `min_quota_cu` is the region's smallest quota.
    Downgrade {
        /// The CUs the quota keeps.
        new_quota_cu: u32,
        /// The region's smallest quota.
        min_quota_cu: u32,
    },
    /// End the quota and bill the workspace pay-as-you-go.
    SwitchToPayAsYouGo,
}

impl Action {
    /// The kind of the action.
    pub const fn kind(self) -> ActionKind {
        match self {
            Action::Unsubscribe => ActionKind::Unsubscribe,
            Action::Downgrade { .. } => ActionKind::Downgrade,
            Action::SwitchToPayAsYouGo => ActionKind::SwitchToPayAsYouGo,
        }
    }
}

/// Which part of each order's cash basis a quota quote gives back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Share {
    /// All of it (unsubscription, switch).
    Whole,
    /// The removed tranche of a downgrade from `keep + remove` CUs to `keep`.
    Removed {
        /// CUs kept.
        keep: u32,
        /// CUs removed.
        remove: u32,
    },
}

impl Share {
    /// This share of `basis`.
    pub(crate) fn of(self, basis: Money) -> Result<Money, MoneyError> {
        match self {
            Share::Whole => Ok(basis),
            Share::Removed { keep, remove } => removed_tranche(basis, keep, remove),
        }
    }

    /// True for a downgrade's tranche.
    pub(crate) const fn is_partial(self) -> bool {
        matches!(self, Share::Removed { .. })
    }
}

/// The removed tranche of `basis` when `keep` of `keep + remove` CUs stay:
/// the second part of the largest-remainder split of `basis` with weights
/// (`keep`, `remove`), so a tie of remainders goes to the kept tranche.
pub fn removed_tranche(basis: Money, keep: u32, remove: u32) -> Result<Money, MoneyError> {
    let currency = basis.currency();
    // The split takes its weights as amounts; CUs are plain proportions here.
    let weights = [Money::from_minor(currency, i64::from(keep)), Money::from_minor(currency, i64::from(remove))];
    let mut parts = [Money::zero(currency); 2];
    split_into(basis, &weights, &mut parts)?;
    Ok(parts[1])
}

/// Quotes `action` on `instance` at `ctx.now`.
pub fn quote_change(instance: Option<&Instance>, action: Action, ctx: &QuoteContext<'_>) -> Result<Quote, QuoteError> {
    match action {
        Action::Unsubscribe => quote_refund(instance, ctx),
        Action::Downgrade { new_quota_cu, min_quota_cu } => quote_downgrade(instance, new_quota_cu, min_quota_cu, ctx),
        Action::SwitchToPayAsYouGo => quote_switch(instance, ctx),
    }
}

/// The refusal of a change that only a subscription quota allows.
fn unsupported(instance: &Instance, ctx: &QuoteContext<'_>) -> Option<Quote> {
    (instance.kind == InstanceKind::ResourcePlan)
        .then(|| Quote::refused(ctx.account_currency, ReasonCode::UnsupportedAction))
}

/// Quotes switching the quota to pay-as-you-go: the unsubscription quote at
/// the same instant, marked as a switch. A resource plan cannot switch.
pub fn quote_switch(instance: Option<&Instance>, ctx: &QuoteContext<'_>) -> Result<Quote, QuoteError> {
    let mut quote = match instance.and_then(|i| unsupported(i, ctx)) {
        Some(refused) => refused,
        None => quote_refund(instance, ctx)?,
    };
    quote.action = ActionKind::SwitchToPayAsYouGo;
    Ok(quote)
}

/// Quotes a downgrade of the quota to `new_quota_cu`.
///
/// Refusals come in the order of [`ReasonCode::ALL`]: those of an
/// unsubscription (the yearly limit aside: a downgrade is never a full
/// refund), with `UNSUPPORTED_ACTION` for a resource plan right after
/// `NOT_PREPAID`, then `NOT_A_DOWNGRADE`, `QUOTA_BELOW_MINIMUM` and
/// `ZERO_REFUNDABLE`. A quota whose CUs are unknown is an error.
pub fn quote_downgrade(
    instance: Option<&Instance>,
    new_quota_cu: u32,
    min_quota_cu: u32,
    ctx: &QuoteContext<'_>,
) -> Result<Quote, QuoteError> {
    let refused = |reason| {
        let mut quote = Quote::refused(ctx.account_currency, reason);
        quote.action = ActionKind::Downgrade;
        quote
    };
    let Some(instance) = instance else {
        return Ok(refused(ReasonCode::NotFound));
    };
    let early = match instance.kind {
        InstanceKind::PayAsYouGo => Some(ReasonCode::NotPrepaid),
        InstanceKind::ResourcePlan => Some(ReasonCode::UnsupportedAction),
        InstanceKind::SubscriptionQuota => first_flag_refusal(instance),
    };
    if let Some(reason) = early {
        return Ok(refused(reason));
    }
    let quota_cu = instance.quota_cu.ok_or(QuoteError::InvalidInstance("a quota to downgrade needs its CUs"))?;
    // Quoted with a harmless share when it is no downgrade at all, so that
    // the refusals of §7.1 still come first.
    let share = Share::Removed { keep: new_quota_cu.min(quota_cu), remove: quota_cu.saturating_sub(new_quota_cu) };
    let mut lines = Vec::with_capacity(instance.orders.len());
    if let Some(reason) = quota_lines(instance, ctx, share, &mut lines)? {
        return Ok(refused(reason));
    }
    if new_quota_cu >= quota_cu {
        return Ok(refused(ReasonCode::NotADowngrade));
    }
    if new_quota_cu < min_quota_cu {
        return Ok(refused(ReasonCode::QuotaBelowMinimum));
    }
    let mut quote = finish(instance, ctx, lines, false)?;
    quote.action = ActionKind::Downgrade;
    if quote.eligible() {
        quote.quota_cu_after = Some(new_quota_cu);
    }
    Ok(quote)
}

/// What a confirmed downgrade leaves of one order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleasedBasis {
    /// Cash taken out of the order so far, this tranche included.
    pub released_cash: Money,
    /// The new cash basis (cash paid less `released_cash`).
    pub cash_basis: Money,
    /// What remains of each cash tender, in the order's tender order.
    pub tenders: Vec<Money>,
}

/// Takes the confirmed `removed` tranche (its refunded and consumed parts
/// alike) out of `order`: out of its basis, and out of its tenders by the
/// largest-remainder split of the tranche over their remaining amounts.
pub fn release_tranche(order: &Order, removed: Money) -> Result<ReleasedBasis, QuoteError> {
    let basis = order.cash_basis()?;
    if removed.is_negative() || removed.minor() > basis.minor() {
        return Err(QuoteError::Invariant("a removed tranche must lie between zero and the order's basis"));
    }
    let n = order.tenders.len();
    if n > MAX_TENDERS_PER_ORDER {
        return Err(QuoteError::InvalidInstance("too many tenders in one order"));
    }
    let mut weights = [Money::zero(basis.currency()); MAX_TENDERS_PER_ORDER];
    let mut parts = weights;
    for (weight, tender) in weights.iter_mut().zip(&order.tenders) {
        *weight = tender.amount;
    }
    split_into(removed, &weights[..n], &mut parts[..n])?;
    let tenders =
        weights[..n].iter().zip(&parts[..n]).map(|(w, p)| w.checked_sub(*p)).collect::<Result<Vec<_>, _>>()?;
    let cash_basis = basis.checked_sub(removed)?;
    let remaining = Money::checked_sum(basis.currency(), tenders.iter().copied())?;
    if tenders.iter().any(|t| t.is_negative()) || (n > 0 && remaining != cash_basis) {
        return Err(QuoteError::Invariant("the remaining tenders must add up to the new basis"));
    }
    Ok(ReleasedBasis { released_cash: order.released_cash.checked_add(removed)?, cash_basis, tenders })
}
