//! Orders and how they were paid: list price, discounts, non-cash benefits
//! and the cash tenders that must add up to the cash paid.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::ids::OrderId;
use crate::money::{Currency, Money, MoneyError};

/// Most cash tenders one order may have; keeps quoting free of heap scratch.
pub const MAX_TENDERS_PER_ORDER: usize = 8;

/// A way of paying cash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaymentMethodKind {
    /// The account's cash balance.
    Balance,
    /// A payment card.
    Card,
    /// A PayPal account.
    Paypal,
    /// A bank transfer.
    BankTransfer,
}

impl PaymentMethodKind {
    /// Every kind, in a stable order.
    pub const ALL: [PaymentMethodKind; 4] = [
        PaymentMethodKind::Balance,
        PaymentMethodKind::Card,
        PaymentMethodKind::Paypal,
        PaymentMethodKind::BankTransfer,
    ];

    /// The name used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            PaymentMethodKind::Balance => "balance",
            PaymentMethodKind::Card => "card",
            PaymentMethodKind::Paypal => "paypal",
            PaymentMethodKind::BankTransfer => "bank_transfer",
        }
    }
}

impl fmt::Display for PaymentMethodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PaymentMethodKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PaymentMethodKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown payment method {s:?} (expected balance, card, paypal or bank_transfer)"))
    }
}

/// One cash part of how an order was paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tender {
    /// How it was paid.
    pub method: PaymentMethodKind,
    /// How much was paid this way.
    pub amount: Money,
    /// Whether the instrument it came from can still receive money now (a
    /// cancelled card cannot). A fact about the present, set by the caller.
    pub instrument_valid: bool,
}

/// Whether an order bought the first period or extended it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderKind {
    /// The purchase that activated the instance.
    New,
    /// An extension starting where the previous period ends.
    Renewal,
}

impl OrderKind {
    /// Every variant.
    pub const ALL: [OrderKind; 2] = [OrderKind::New, OrderKind::Renewal];

    /// The name used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderKind::New => "new",
            OrderKind::Renewal => "renewal",
        }
    }
}

/// Where an order is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Placed, not yet paid.
    Unpaid,
    /// Paid.
    Paid,
    /// Never paid and given up.
    Cancelled,
    /// Paid, then refunded by an unsubscription.
    Refunded,
}

impl OrderStatus {
    /// Every variant.
    pub const ALL: [OrderStatus; 4] =
        [OrderStatus::Unpaid, OrderStatus::Paid, OrderStatus::Cancelled, OrderStatus::Refunded];

    /// The name used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Unpaid => "unpaid",
            OrderStatus::Paid => "paid",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }
}

/// The price build-up of an order. Vouchers and coupons are benefits, not
/// cash: they lower what was paid and are never refunded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderCharges {
    /// Catalog price.
    pub list_price: Money,
    /// Price reduction granted by the provider.
    pub discount: Money,
    /// Coupon amount applied.
    pub coupon: Money,
    /// Voucher amount applied.
    pub voucher: Money,
}

impl OrderCharges {
    /// List price with nothing taken off.
    pub const fn list_only(list_price: Money) -> OrderCharges {
        let zero = Money::zero(list_price.currency());
        OrderCharges { list_price, discount: zero, coupon: zero, voucher: zero }
    }

    /// Cash to pay: list − discount − coupon − voucher, never below zero.
    pub fn cash_due(&self) -> Result<Money, MoneyError> {
        let due = self.list_price.checked_sub(self.discount)?.checked_sub(self.coupon)?.checked_sub(self.voucher)?;
        Ok(if due.is_negative() { Money::zero(due.currency()) } else { due })
    }
}

/// One purchase of a prepaid instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// Identifier, unique within the instance.
    pub id: OrderId,
    /// New purchase or renewal.
    pub kind: OrderKind,
    /// Payment state.
    pub status: OrderStatus,
    /// When it was paid, for paid and refunded orders.
    pub paid_at: Option<DateTime<Utc>>,
    /// Activation instant; new orders only (renewals start where the
    /// previous period ends).
    pub start: Option<DateTime<Utc>>,
    /// Subscription months (quota) or validity months (plan).
    pub months: u32,
    /// How the price was built up.
    pub charges: OrderCharges,
    /// Cash already taken out of the order by earlier downgrades (zero for
    /// an order never downgraded). The rest is the order's cash basis.
    pub released_cash: Money,
    /// Cash tenders as they remain: adding up to the cash basis (the cash
    /// paid less [`Order::released_cash`]).
    pub tenders: Vec<Tender>,
}

/// An order whose figures do not hold together.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum OrderError {
    /// Amounts of the order are in different currencies.
    #[error("order {order}: amounts must all be in {expected}")]
    MixedCurrencies {
        /// The order's id.
        order: String,
        /// The list price's currency.
        expected: Currency,
    },
    /// A negative price component or tender.
    #[error("order {order}: {field} must not be negative")]
    Negative {
        /// The order's id.
        order: String,
        /// The field at fault.
        field: &'static str,
    },
    /// Tenders do not add up to the cash due (less any released cash).
    #[error("order {order}: cash tenders add up to {tendered}, but the cash due is {due}")]
    TendersDoNotAddUp {
        /// The order's id.
        order: String,
        /// Sum of tenders.
        tendered: Money,
        /// List − discount − coupon − voucher.
        due: Money,
    },
    /// More cash released by downgrades than was paid.
    #[error("order {order}: released_cash {released} exceeds the cash paid {paid}")]
    ReleasedTooMuch {
        /// The order's id.
        order: String,
        /// Cash released so far.
        released: Money,
        /// Cash paid.
        paid: Money,
    },
    /// More tenders than [`MAX_TENDERS_PER_ORDER`].
    #[error("order {order}: at most {MAX_TENDERS_PER_ORDER} cash tenders")]
    TooManyTenders {
        /// The order's id.
        order: String,
    },
    /// A paid or refunded order with no payment instant.
    #[error("order {order}: a paid order needs paid_at")]
    MissingPaidAt {
        /// The order's id.
        order: String,
    },
    /// A new order with no activation instant.
    #[error("order {order}: a new order needs start")]
    MissingStart {
        /// The order's id.
        order: String,
    },
    /// Zero months.
    #[error("order {order}: months must be at least 1")]
    NoMonths {
        /// The order's id.
        order: String,
    },
    /// A sum overflowed.
    #[error("order {order}: {source}")]
    Money {
        /// The order's id.
        order: String,
        /// The arithmetic failure.
        source: MoneyError,
    },
}

impl Order {
    /// The currency of the order (that of its list price).
    pub fn currency(&self) -> Currency {
        self.charges.list_price.currency()
    }

    /// Cash paid: list − discount − coupon − voucher, never below zero.
    pub fn cash_paid(&self) -> Result<Money, MoneyError> {
        self.charges.cash_due()
    }

    /// The cash basis: cash paid less the cash released by downgrades. Every
    /// quote of a quota works on it, and the tenders add up to it.
    pub fn cash_basis(&self) -> Result<Money, MoneyError> {
        self.cash_paid()?.checked_sub(self.released_cash)
    }

    /// Checks that the order's figures hold together: one currency, nothing
    /// negative, tenders adding up to the cash due, instants where needed.
    /// An order not paid yet (unpaid, or cancelled unpaid) may have no
    /// tenders and no activation: it is paid, and starts, later.
    pub fn validate(&self) -> Result<(), OrderError> {
        let order = || self.id.to_string();
        let c = &self.charges;
        let currency = self.currency();
        let fields =
            [("list_price", c.list_price), ("discount", c.discount), ("coupon", c.coupon), ("voucher", c.voucher)];
        let released = std::iter::once(("released_cash", self.released_cash));
        let tenders = self.tenders.iter().map(|t| ("tenders.amount", t.amount)).chain(released);
        for (field, amount) in fields.into_iter().chain(tenders) {
            if amount.currency() != currency {
                return Err(OrderError::MixedCurrencies { order: order(), expected: currency });
            }
            if amount.is_negative() {
                return Err(OrderError::Negative { order: order(), field });
            }
        }
        if self.tenders.len() > MAX_TENDERS_PER_ORDER {
            return Err(OrderError::TooManyTenders { order: order() });
        }
        let money_err = |source| OrderError::Money { order: order(), source };
        let paid_cash = self.cash_paid().map_err(money_err)?;
        if self.released_cash.minor() > paid_cash.minor() {
            return Err(OrderError::ReleasedTooMuch { order: order(), released: self.released_cash, paid: paid_cash });
        }
        let due = self.cash_basis().map_err(money_err)?;
        let tendered = Money::checked_sum(currency, self.tenders.iter().map(|t| t.amount)).map_err(money_err)?;
        let paid = matches!(self.status, OrderStatus::Paid | OrderStatus::Refunded);
        if tendered != due && (paid || !self.tenders.is_empty()) {
            return Err(OrderError::TendersDoNotAddUp { order: order(), tendered, due });
        }
        if paid && self.paid_at.is_none() {
            return Err(OrderError::MissingPaidAt { order: order() });
        }
        if paid && self.kind == OrderKind::New && self.start.is_none() {
            return Err(OrderError::MissingStart { order: order() });
        }
        if self.months == 0 {
            return Err(OrderError::NoMonths { order: order() });
        }
        Ok(())
    }
}
