//! Builders for instants, money, orders, instances and quotes, so that each
//! test states only what it is about.

use billing_domain::calendar::BillingZone;
use billing_domain::change::{Action, quote_change};
use billing_domain::ids::OrderId;
use billing_domain::money::{Currency, Money};
use billing_domain::order::{Order, OrderCharges, OrderKind, OrderStatus, PaymentMethodKind, Tender};
use billing_domain::policy::Policy;
use billing_domain::quote::{Instance, InstanceKind, InstanceStatus, Quote, QuoteContext, quote_refund};
use billing_domain::reason::ReasonCode;
use billing_domain::usage::CuHours;
use chrono::{DateTime, NaiveDate, Utc};

/// The instant written in RFC 3339, with any offset.
pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap_or_else(|e| panic!("{rfc3339}: {e}")).with_timezone(&Utc)
}

/// A calendar date written `YYYY-MM-DD`.
pub fn date(ymd: &str) -> NaiveDate {
    ymd.parse().unwrap_or_else(|e| panic!("{ymd}: {e}"))
}

/// A zone by IANA name.
pub fn zone(name: &str) -> BillingZone {
    name.parse().unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// US dollars written as a decimal, e.g. `"67.75"`.
pub fn usd(text: &str) -> Money {
    Money::parse(Currency::Usd, text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A valid cash tender.
pub fn tender(method: PaymentMethodKind, amount: Money) -> Tender {
    Tender { method, amount, instrument_valid: true }
}

/// A paid `new` order activated and paid at `start`: one month, list price
/// `price`, paid in full from the balance.
pub fn new_order(start: &str, price: Money) -> Order {
    Order {
        id: OrderId::trusted("o1"),
        kind: OrderKind::New,
        status: OrderStatus::Paid,
        paid_at: Some(at(start)),
        start: Some(at(start)),
        months: 1,
        charges: OrderCharges::list_only(price),
        released_cash: Money::zero(price.currency()),
        tenders: vec![tender(PaymentMethodKind::Balance, price)],
    }
}

/// A paid one-month renewal, paid at `paid_at` from the balance.
pub fn renewal(id: &str, paid_at: &str, price: Money) -> Order {
    Order {
        id: OrderId::trusted(id),
        kind: OrderKind::Renewal,
        start: None,
        paid_at: Some(at(paid_at)),
        ..new_order(paid_at, price)
    }
}

/// An active subscription quota with these orders.
pub fn quota(orders: Vec<Order>) -> Instance {
    Instance {
        kind: InstanceKind::SubscriptionQuota,
        status: InstanceStatus::Active,
        used: CuHours::ZERO,
        capacity: None,
        promotion_non_refundable: false,
        transferred: false,
        quota_cu: Some(100),
        full_refunds_this_year: 0,
        orders,
    }
}

/// An active, unused resource plan of 100 CU-hours bought with `order`.
pub fn resource_plan(order: Order) -> Instance {
    Instance {
        kind: InstanceKind::ResourcePlan,
        capacity: Some(CuHours::from_whole(100)),
        quota_cu: None,
        ..quota(vec![order])
    }
}

/// The standard quota: USD 100.00 for one month from 2023-01-01 12:00 +08:00.
pub fn standard_quota() -> Instance {
    quota(vec![new_order("2023-01-01T12:00:00+08:00", usd("100.00"))])
}

/// The standard plan: USD 80.00 for three months from 2024-03-01 10:00 +08:00.
pub fn standard_plan() -> Instance {
    let mut order = new_order("2024-03-01T10:00:00+08:00", usd("80.00"));
    order.months = 3;
    resource_plan(order)
}

/// Everything a quote depends on besides the instance.
#[derive(Clone, Copy, Debug)]
pub struct Setting {
    /// The account's settlement currency.
    pub currency: Currency,
    /// The policy in force.
    pub policy: Policy,
    /// The billing zone.
    pub zone: BillingZone,
    /// The moment of the quote.
    pub now: DateTime<Utc>,
}

impl Setting {
    /// USD, the default policy and zone, at `now`.
    pub fn at(now: &str) -> Setting {
        Setting { currency: Currency::Usd, policy: Policy::default(), zone: BillingZone::DEFAULT, now: at(now) }
    }

    /// The same setting with one policy setting changed from its text.
    pub fn with(mut self, setting: &str, value: &str) -> Setting {
        self.policy.set(setting, value).unwrap_or_else(|e| panic!("{setting}={value}: {e}"));
        self
    }

    /// Quotes `instance` in this setting; inconsistent inputs fail the test.
    pub fn quote(&self, instance: Option<&Instance>) -> Quote {
        let ctx =
            QuoteContext { account_currency: self.currency, policy: &self.policy, zone: self.zone, now: self.now };
        quote_refund(instance, &ctx).unwrap_or_else(|e| panic!("quote failed: {e}"))
    }

    /// Quotes `action` on `instance` in this setting.
    pub fn quote_action(&self, instance: Option<&Instance>, action: Action) -> Quote {
        let ctx =
            QuoteContext { account_currency: self.currency, policy: &self.policy, zone: self.zone, now: self.now };
        quote_change(instance, action, &ctx).unwrap_or_else(|e| panic!("{action:?} failed: {e}"))
    }

    /// The reason `instance` is refused, or `None` when it is eligible.
    pub fn reason(&self, instance: &Instance) -> Option<ReasonCode> {
        self.quote(Some(instance)).reason
    }
}
