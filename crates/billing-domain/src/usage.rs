//! Usage in CU-hours and the settlement of one workspace's clock hour:
//! quota coverage, draws from resource plans, and the pay-as-you-go bill.

use std::fmt;

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::money::{Currency, Money, MoneyError, parse_scaled, write_scaled};

/// An exact amount of CU-hours in whole milli-CU-hours (3 decimals).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CuHours(i64);

/// A quantity or price that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum QuantityError {
    /// Not a plain, non-negative decimal.
    #[error("{0:?} is not a non-negative decimal number")]
    Malformed(String),
    /// More decimals than allowed.
    #[error("{text:?} has more than {decimals} decimals")]
    TooPrecise {
        /// The text as given.
        text: String,
        /// The decimals allowed.
        decimals: u32,
    },
    /// Too large to represent.
    #[error("{0:?} is too large")]
    Overflow(String),
}

fn parse_quantity(text: &str, decimals: u32) -> Result<i64, QuantityError> {
    use crate::money::ScaledError;
    match parse_scaled(text, decimals) {
        Ok(v) if v >= 0 && !text.starts_with('-') => Ok(v),
        Ok(_) | Err(ScaledError::Malformed) => Err(QuantityError::Malformed(text.to_owned())),
        Err(ScaledError::TooPrecise) => Err(QuantityError::TooPrecise { text: text.to_owned(), decimals }),
        Err(ScaledError::Overflow) => Err(QuantityError::Overflow(text.to_owned())),
    }
}

impl CuHours {
    /// No usage.
    pub const ZERO: CuHours = CuHours(0);

    /// `milli` thousandths of a CU-hour.
    pub const fn from_milli(milli: i64) -> CuHours {
        CuHours(milli)
    }

    /// Whole CU-hours.
    pub const fn from_whole(cu_hours: i64) -> CuHours {
        CuHours(cu_hours * 1000)
    }

    /// The quantity in milli-CU-hours.
    pub const fn milli(self) -> i64 {
        self.0
    }

    /// Reads `"3.5"` or `"0.125"`; more than 3 decimals or a sign is refused.
    pub fn parse(text: &str) -> Result<CuHours, QuantityError> {
        parse_quantity(text, 3).map(CuHours)
    }

    /// The smaller of two quantities.
    pub fn min(self, other: CuHours) -> CuHours {
        CuHours(self.0.min(other.0))
    }

    /// The sum of two quantities, or `None` past the largest one.
    pub const fn checked_add(self, other: CuHours) -> Option<CuHours> {
        match self.0.checked_add(other.0) {
            Some(sum) => Some(CuHours(sum)),
            None => None,
        }
    }

    /// The difference of two quantities, or `None` past the smallest or
    /// largest one.
    pub const fn checked_sub(self, other: CuHours) -> Option<CuHours> {
        match self.0.checked_sub(other.0) {
            Some(difference) => Some(CuHours(difference)),
            None => None,
        }
    }
}

impl fmt::Display for CuHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_scaled(f, i128::from(self.0), 3)
    }
}

/// A regional price per CU-hour, exact to a millionth of the major unit
/// (Singapore: USD 0.067106).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HourlyPrice {
    currency: Currency,
    micros: i64,
}

impl HourlyPrice {
    /// A price of `micros` millionths of the major unit per CU-hour.
    pub const fn from_micros(currency: Currency, micros: i64) -> HourlyPrice {
        HourlyPrice { currency, micros }
    }

    /// Reads `"0.067106"`; up to 6 decimals.
    pub fn parse(currency: Currency, text: &str) -> Result<HourlyPrice, QuantityError> {
        parse_quantity(text, 6).map(|micros| HourlyPrice { currency, micros })
    }

    /// The price's currency.
    pub const fn currency(self) -> Currency {
        self.currency
    }

    /// The price in millionths of the major unit.
    pub const fn micros(self) -> i64 {
        self.micros
    }
}

impl fmt::Display for HourlyPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_scaled(f, i128::from(self.micros), 6)
    }
}

/// A pay-as-you-go bill line: the exact product of CU-hours and price,
/// truncated to a thousandth of the major unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BillAmount {
    currency: Currency,
    milli_major: i64,
}

impl BillAmount {
    /// The amount in thousandths of the major unit.
    pub const fn milli_major(self) -> i64 {
        self.milli_major
    }

    /// The charge: the bill amount truncated down to the minor unit.
    pub fn charge(self) -> Money {
        let per_minor = 1000 / self.currency.minor_per_major();
        Money::from_minor(self.currency, self.milli_major.div_euclid(per_minor))
    }
}

impl fmt::Display for BillAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_scaled(f, i128::from(self.milli_major), 3)
    }
}

/// The bill line for `usage` at `price`: floor(usage × price) to 0.001.
pub fn bill_amount(usage: CuHours, price: HourlyPrice) -> Result<BillAmount, MoneyError> {
    // milli-CU-hours × micro-units = 1e-9 major; 1e6 of those make 1e-3 major.
    let exact = i128::from(usage.0) * i128::from(price.micros);
    let milli_major = i64::try_from(exact.div_euclid(1_000_000)).map_err(|_| MoneyError::Overflow)?;
    Ok(BillAmount { currency: price.currency, milli_major })
}

/// A resource plan's remaining capacity as settlement sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanBalance {
    /// The plan's identifier.
    pub plan_id: u64,
    /// When it was bought (the tie-breaker between equal expiries).
    pub purchased_at: DateTime<Utc>,
    /// First instant it can be drawn from.
    pub valid_from: DateTime<Utc>,
    /// First instant it can no longer be drawn from.
    pub expires_at: DateTime<Utc>,
    /// CU-hours left.
    pub remaining: CuHours,
    /// Given back by an unsubscription: never drawn from again.
    pub released: bool,
}

impl PlanBalance {
    fn can_cover(&self, hour_start: DateTime<Utc>) -> bool {
        !self.released && self.remaining.0 > 0 && self.valid_from <= hour_start && hour_start < self.expires_at
    }
}

/// An account's plans in one region, kept in drawing order: earliest expiry
/// first, then earliest purchase.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanPool {
    plans: Vec<PlanBalance>,
}

impl PlanPool {
    /// Puts `plans` in drawing order.
    pub fn new(mut plans: Vec<PlanBalance>) -> PlanPool {
        plans.sort_by_key(|p| (p.expires_at, p.purchased_at, p.plan_id));
        PlanPool { plans }
    }

    /// The plans, in drawing order, with their current balances.
    pub fn plans(&self) -> &[PlanBalance] {
        &self.plans
    }
}

/// One draw from one plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanDraw {
    /// The plan drawn from.
    pub plan_id: u64,
    /// CU-hours drawn.
    pub cu_hours: CuHours,
}

/// The facts needed to settle one workspace's clock hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HourFacts {
    /// Start of the clock hour.
    pub hour_start: DateTime<Utc>,
    /// CU-hours used in it.
    pub usage: CuHours,
    /// CUs of the workspace's quota in force that hour (0 for pay-as-you-go).
    pub quota_cu: u32,
    /// Pay-as-you-go price in the workspace's region.
    pub price: HourlyPrice,
}

/// How one hour was settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HourSettlement {
    /// CU-hours covered by the quota.
    pub covered: CuHours,
    /// CU-hours beyond the quota.
    pub billable: CuHours,
    /// CU-hours of `billable` drawn from plans (the draws are in the
    /// caller's buffer).
    pub drawn: CuHours,
    /// CU-hours charged pay-as-you-go: `billable − drawn`.
    pub pay_as_you_go: CuHours,
    /// The bill line for `pay_as_you_go`.
    pub bill: BillAmount,
    /// What the account is charged.
    pub charge: Money,
}

/// Why an hour could not be settled.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SettlementError {
    /// Negative usage.
    #[error("usage must not be negative")]
    NegativeUsage,
    /// The bill overflowed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Settles one hour: the quota covers up to `quota_cu × 1 h`; the rest is
/// drawn from `pool` in drawing order, lowering the plans' balances; what is
/// left is billed at the hourly price.
///
/// `draws` is cleared and receives one entry per plan drawn from; reuse it
/// across calls to settle without allocating.
pub fn settle_hour(
    facts: &HourFacts,
    pool: &mut PlanPool,
    draws: &mut Vec<PlanDraw>,
) -> Result<HourSettlement, SettlementError> {
    settle_more_of_hour(facts, CuHours::ZERO, pool, draws)
}

/// Settles usage that arrived after part of the hour was settled: the quota
/// covers only what `already_covered` left of `quota_cu × 1 h`, and the rest
/// is settled exactly as [`settle_hour`] would.
pub fn settle_more_of_hour(
    facts: &HourFacts,
    already_covered: CuHours,
    pool: &mut PlanPool,
    draws: &mut Vec<PlanDraw>,
) -> Result<HourSettlement, SettlementError> {
    draws.clear();
    if facts.usage.0 < 0 {
        return Err(SettlementError::NegativeUsage);
    }
    let coverage = CuHours((i64::from(facts.quota_cu) * 1000 - already_covered.0).max(0));
    let covered = facts.usage.min(coverage);
    let billable = CuHours(facts.usage.0 - covered.0);
    let mut left = billable.0;
    for plan in pool.plans.iter_mut() {
        if left == 0 {
            break;
        }
        if !plan.can_cover(facts.hour_start) {
            continue;
        }
        let take = left.min(plan.remaining.0);
        plan.remaining.0 -= take;
        left -= take;
        draws.push(PlanDraw { plan_id: plan.plan_id, cu_hours: CuHours(take) });
    }
    let pay_as_you_go = CuHours(left);
    let bill = bill_amount(pay_as_you_go, facts.price)?;
    Ok(HourSettlement {
        covered,
        billable,
        drawn: CuHours(billable.0 - left),
        pay_as_you_go,
        bill,
        charge: bill.charge(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cu_hours_allow_three_decimals_and_no_sign() {
        assert_eq!(CuHours::parse("3.5").unwrap().milli(), 3500);
        assert_eq!(CuHours::parse("0.125").unwrap().to_string(), "0.125");
        assert!(matches!(CuHours::parse("0.0001"), Err(QuantityError::TooPrecise { .. })));
        assert!(matches!(CuHours::parse("-1"), Err(QuantityError::Malformed(_))));
        assert!(matches!(CuHours::parse("-0"), Err(QuantityError::Malformed(_))));
    }

    #[test]
    fn bill_line_truncates_to_a_thousandth_and_charge_to_a_cent() {
        let price = HourlyPrice::parse(Currency::Usd, "0.067106").unwrap();
        // 10.5 CU-hours × 0.067106 = 0.704613 → line 0.704 → charge 0.70
        let bill = bill_amount(CuHours::parse("10.5").unwrap(), price).unwrap();
        assert_eq!(bill.to_string(), "0.704");
        assert_eq!(bill.charge().to_string(), "0.70");
        let yen = HourlyPrice::parse(Currency::Jpy, "9.87").unwrap();
        let bill = bill_amount(CuHours::from_whole(3), yen).unwrap();
        assert_eq!((bill.to_string().as_str(), bill.charge().minor()), ("29.610", 29));
    }
}
