//! The JSON form of a quote, shared by the command line and the HTTP API.
//!
//! Amounts are decimal strings with exactly the currency's decimals; instants
//! are RFC 3339 with the billing zone's offset.

use std::fmt::Display;

use billing_domain::calendar::BillingZone;
use billing_domain::change::ActionKind;
use billing_domain::quote::{ProrationBasis, Quote, QuoteLine};
use billing_domain::{Destination, ProrationUnit};
use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// The quote as a JSON object.
pub fn quote_json(quote: &Quote, zone: BillingZone) -> crate::error::AppResult<Value> {
    serde_json::to_value(QuoteWire::new(quote, zone))
        .map_err(|e| crate::error::AppError::internal(format!("a quote cannot be written: {e}")))
}

/// The quote in its JSON shape, written straight out without building a
/// tree of values first.
#[derive(Debug, Serialize)]
pub struct QuoteWire<'a> {
    /// Shown for the quota changes only, so that an unsubscription quote
    /// keeps the shape it always had.
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<&'static str>,
    eligible: bool,
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason_message: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund: Option<Shown<&'a billing_domain::money::Money>>,
    refund_type: &'static str,
    currency: &'static str,
    #[serde(serialize_with = "lines")]
    lines: (&'a [QuoteLine], BillingZone),
    #[serde(serialize_with = "destinations")]
    destinations: &'a [Destination],
    #[serde(skip_serializing_if = "Option::is_none")]
    quota_cu_after: Option<u32>,
}

impl<'a> QuoteWire<'a> {
    /// The JSON shape of `quote`, with instants in `zone`.
    pub fn new(quote: &'a Quote, zone: BillingZone) -> QuoteWire<'a> {
        QuoteWire {
            action: (quote.action != ActionKind::Unsubscribe).then_some(quote.action.as_str()),
            eligible: quote.eligible(),
            reason: quote.reason.map(|r| r.code()),
            reason_message: quote.reason_message(),
            refund: quote.reason.is_none().then_some(Shown(&quote.refund)),
            refund_type: quote.refund_type.as_str(),
            currency: quote.currency.code(),
            lines: (&quote.lines, zone),
            destinations: &quote.destinations,
            quota_cu_after: quote.quota_cu_after,
        }
    }
}

/// A value written as its `Display` text.
#[derive(Debug)]
pub struct Shown<T>(pub T);

impl<T: Display> Serialize for Shown<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// An instant written in RFC 3339 with the billing zone's offset.
#[derive(Debug)]
pub struct ZonedInstant(pub DateTime<Utc>, pub BillingZone);

impl Serialize for ZonedInstant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.1.format_rfc3339(self.0))
    }
}

fn lines<S: Serializer>(lines: &(&[QuoteLine], BillingZone), serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(lines.0.iter().map(|l| LineWire::new(l, lines.1)))
}

fn destinations<S: Serializer>(destinations: &&[Destination], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(destinations.iter().map(DestinationWire::new))
}

#[derive(Serialize)]
struct LineWire<'a> {
    order_id: &'a str,
    kind: &'static str,
    list_price: Shown<&'a billing_domain::money::Money>,
    discount: Shown<&'a billing_domain::money::Money>,
    coupon: Shown<&'a billing_domain::money::Money>,
    voucher: Shown<&'a billing_domain::money::Money>,
    cash_paid: Shown<&'a billing_domain::money::Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    removed_cash: Option<Shown<&'a billing_domain::money::Money>>,
    refund: Shown<&'a billing_domain::money::Money>,
    paid_at: ZonedInstant,
    period_start: ZonedInstant,
    period_end: ZonedInstant,
    expiration_date: Shown<&'a chrono::NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    used: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumed: Option<Shown<&'a billing_domain::money::Money>>,
}

impl<'a> LineWire<'a> {
    fn new(line: &'a QuoteLine, zone: BillingZone) -> LineWire<'a> {
        let c = &line.charges;
        let p = line.proration.as_ref();
        LineWire {
            order_id: &line.order_id,
            kind: line.kind.as_str(),
            list_price: Shown(&c.list_price),
            discount: Shown(&c.discount),
            coupon: Shown(&c.coupon),
            voucher: Shown(&c.voucher),
            cash_paid: Shown(&line.cash_paid),
            removed_cash: line.removed.as_ref().map(Shown),
            refund: Shown(&line.refund),
            paid_at: ZonedInstant(line.paid_at, zone),
            period_start: ZonedInstant(line.period.start, zone),
            period_end: ZonedInstant(line.period.end, zone),
            expiration_date: Shown(&line.period.expiration_date),
            unit: p.map(|p| match p.basis {
                ProrationBasis::Time(ProrationUnit::Day) => "day",
                ProrationBasis::Time(ProrationUnit::Second) => "second",
                ProrationBasis::MilliCuHours => "milli_cu_hour",
            }),
            used: p.map(|p| p.used),
            total: p.map(|p| p.total),
            consumed: p.map(|p| Shown(&p.consumed)),
        }
    }
}

#[derive(Serialize)]
struct DestinationWire<'a> {
    order_id: &'a str,
    tender_index: usize,
    from: &'static str,
    to: &'static str,
    amount: Shown<&'a billing_domain::money::Money>,
    rule: &'static str,
}

impl<'a> DestinationWire<'a> {
    fn new(d: &'a Destination) -> DestinationWire<'a> {
        DestinationWire {
            order_id: &d.order_id,
            tender_index: d.tender_index,
            from: d.from.as_str(),
            to: d.to.as_str(),
            amount: Shown(&d.amount),
            rule: d.rule.as_str(),
        }
    }
}
