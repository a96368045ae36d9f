//! The double-entry ledger: every money movement is a set of entries that sum
//! to zero per unit, written in the same transaction as its effect.
//!
//! # Chart of accounts
//!
//! Amounts are signed. For each movement, entries of one unit add up to zero.
//! A customer's balance account holds exactly what the account's balance
//! says; the `channel:*` accounts stand for the outside world, so they go
//! negative as cash comes in.
//!
//! | ledger account | unit | meaning |
//! |---|---|---|
//! | `customer:{account}:balance` | currency | the customer's cash balance |
//! | `channel:card`, `channel:paypal`, `channel:bank_transfer` | currency | cash received from (negative) or paid out to (positive) a payment channel |
//! | `revenue:prepaid` | currency | cash paid for quotas and plans not yet refunded |
//! | `revenue:usage` | currency | pay-as-you-go charges |
//! | `promotion:voucher`, `promotion:coupon` | currency | non-cash benefits granted (negative) |
//! | `revenue:promotional` | currency | the part of prices paid with benefits |
//! | `refund:payable:card`, `refund:payable:paypal` | currency | refunds sent to a channel, not yet confirmed |
//! | `plan:{instance}:remaining` | `CUH` (milli-CU-hours) | a plan's capacity left |
//! | `capacity:issued`, `capacity:consumed`, `capacity:released` | `CUH` | where plan capacity came from and went |

use std::collections::BTreeMap;

use billing_domain::money::Money;
use billing_domain::order::PaymentMethodKind;
use chrono::{DateTime, Utc};

use crate::error::{AppError, AppResult};
pub use crate::model::ledger::{LedgerEntry, Movement};

/// The unit of capacity entries: milli-CU-hours.
pub const CAPACITY_UNIT: &str = "CUH";

impl Movement {
    /// An empty movement to add entries to.
    pub fn new(id: String, kind: &str, reference: &str, at: DateTime<Utc>) -> Movement {
        Movement { id, kind: kind.to_owned(), reference: reference.to_owned(), at, entries: Vec::new() }
    }

    /// Moves `amount` from `from` to `to`: `from` goes down, `to` goes up.
    pub fn transfer(&mut self, from: &str, to: &str, amount: Money) -> &mut Movement {
        if amount.is_zero() {
            return self;
        }
        let unit = amount.currency().code();
        self.push(from, unit, -amount.minor());
        self.push(to, unit, amount.minor());
        self
    }

    /// Moves capacity (milli-CU-hours) from `from` to `to`.
    pub fn transfer_capacity(&mut self, from: &str, to: &str, milli: i64) -> &mut Movement {
        if milli != 0 {
            self.push(from, CAPACITY_UNIT, -milli);
            self.push(to, CAPACITY_UNIT, milli);
        }
        self
    }

    fn push(&mut self, ledger_account: &str, unit: &str, amount: i64) {
        self.entries.push(LedgerEntry {
            movement_id: self.id.clone(),
            ledger_account: ledger_account.to_owned(),
            unit: unit.to_owned(),
            amount,
        });
    }

    /// Checks the movement balances per unit; the store refuses unbalanced
    /// movements with this before writing them.
    pub fn check_balanced(&self) -> AppResult<()> {
        let mut sums: BTreeMap<&str, i128> = BTreeMap::new();
        for entry in &self.entries {
            *sums.entry(entry.unit.as_str()).or_default() += i128::from(entry.amount);
        }
        match sums.iter().find(|(_, sum)| **sum != 0) {
            None => Ok(()),
            Some((unit, sum)) => {
                Err(AppError::internal(format!("movement {} ({}) is off by {sum} {unit}", self.id, self.kind)))
            }
        }
    }
}

/// The balance account of a customer.
pub fn customer_balance(account_id: &str) -> String {
    format!("customer:{account_id}:balance")
}

/// The channel account that cash paid with `method` comes from.
pub fn channel(method: PaymentMethodKind) -> &'static str {
    match method {
        PaymentMethodKind::Card => "channel:card",
        PaymentMethodKind::Paypal => "channel:paypal",
        PaymentMethodKind::BankTransfer | PaymentMethodKind::Balance => "channel:bank_transfer",
    }
}

/// Where refunds sent to a payment channel wait for its answer.
pub fn refund_payable(method: PaymentMethodKind) -> &'static str {
    match method {
        PaymentMethodKind::Card => "refund:payable:card",
        PaymentMethodKind::Paypal => "refund:payable:paypal",
        PaymentMethodKind::BankTransfer | PaymentMethodKind::Balance => "refund:payable:bank_transfer",
    }
}

/// The capacity account of a resource plan.
pub fn plan_remaining(instance_id: &str) -> String {
    format!("plan:{instance_id}:remaining")
}

/// Revenue from prepaid orders.
pub const REVENUE_PREPAID: &str = "revenue:prepaid";
/// Revenue from pay-as-you-go usage.
pub const REVENUE_USAGE: &str = "revenue:usage";
/// The part of prices paid with vouchers and coupons.
pub const REVENUE_PROMOTIONAL: &str = "revenue:promotional";

/// Sum of entries per (ledger account, unit).
pub fn balances(entries: &[LedgerEntry]) -> BTreeMap<(String, String), i128> {
    let mut out = BTreeMap::new();
    for e in entries {
        *out.entry((e.ledger_account.clone(), e.unit.clone())).or_default() += i128::from(e.amount);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use billing_domain::money::Currency;

    #[test]
    fn a_transfer_balances_and_a_lopsided_movement_does_not() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let mut m = Movement::new("mov_1".into(), "order.payment", "ord_1", at);
        m.transfer("channel:card", REVENUE_PREPAID, Money::from_minor(Currency::Usd, 500));
        assert!(m.check_balanced().is_ok());
        m.entries[0].amount += 1;
        assert!(m.check_balanced().is_err());
    }
}
