//! Payments taken through the channel, as stored.

use billing_domain::ids::{AccountId, ChargeId, OrderId, PaymentMethodId};
use billing_domain::money::Money;
use billing_domain::order::PaymentMethodKind;
use chrono::{DateTime, Utc};

/// Where a charge stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChargeStatus {
    /// Written; the channel may or may not have been asked yet.
    Requested,
    /// The channel took the money (for the balance: taken off it).
    Captured,
    /// The channel refused.
    Declined,
    /// Being given back: marked before the channel is asked to void it, so
    /// that no completion can use it meanwhile; asked again until voided.
    Voiding,
    /// Given back whole (or never to be taken) because its payment fell
    /// through.
    Voided,
}

/// One tender of a payment, as charged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeRecord {
    /// Id, `chg_…`: the channel's idempotency key.
    pub id: ChargeId,
    /// Whose money.
    pub account_id: AccountId,
    /// The order it pays; `None` for a top-up of the balance.
    pub order_id: Option<OrderId>,
    /// The payment attempt it belongs to (`pay_…`): the charges written
    /// together for one payment of an order, which go through or fall
    /// through together. A top-up's is its own id.
    pub payment_id: String,
    /// Its place among the order's tenders.
    pub index: i64,
    /// Balance, card, PayPal or (by an operator) bank transfer.
    pub method: PaymentMethodKind,
    /// The instrument charged (a token the channel issued).
    pub payment_method_id: Option<PaymentMethodId>,
    /// How much.
    pub amount: Money,
    /// Where it stands.
    pub status: ChargeStatus,
    /// The channel's reason for a decline.
    pub failure: Option<String>,
    /// Written.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}
