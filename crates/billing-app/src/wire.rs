//! The JSON form of a quote, shared by the command line and the HTTP API.
//!
//! Amounts are decimal strings with exactly the currency's decimals; instants
//! are RFC 3339 with the billing zone's offset.

use billing_domain::calendar::BillingZone;
use billing_domain::quote::{ProrationBasis, Quote, QuoteLine};
use billing_domain::{Destination, ProrationUnit};
use serde_json::{Map, Value, json};

/// The quote as a JSON object.
pub fn quote_json(quote: &Quote, zone: BillingZone) -> Value {
    let mut out = Map::new();
    out.insert("eligible".into(), json!(quote.eligible()));
    out.insert("reason".into(), json!(quote.reason.map(|r| r.code())));
    if let Some(reason) = quote.reason {
        out.insert("reason_message".into(), json!(reason.message()));
    } else {
        out.insert("refund".into(), json!(quote.refund.to_string()));
    }
    out.insert("refund_type".into(), json!(quote.refund_type.as_str()));
    out.insert("currency".into(), json!(quote.currency.code()));
    out.insert("lines".into(), quote.lines.iter().map(|l| line_json(l, zone)).collect());
    out.insert("destinations".into(), quote.destinations.iter().map(destination_json).collect());
    Value::Object(out)
}

fn line_json(line: &QuoteLine, zone: BillingZone) -> Value {
    let c = &line.charges;
    let mut out = json!({
        "order_id": line.order_id,
        "kind": line.kind.as_str(),
        "list_price": c.list_price.to_string(),
        "discount": c.discount.to_string(),
        "coupon": c.coupon.to_string(),
        "voucher": c.voucher.to_string(),
        "cash_paid": line.cash_paid.to_string(),
        "refund": line.refund.to_string(),
        "paid_at": zone.format_rfc3339(line.paid_at),
        "period_start": zone.format_rfc3339(line.period.start),
        "period_end": zone.format_rfc3339(line.period.end),
        "expiration_date": line.period.expiration_date.to_string(),
    });
    if let (Some(p), Value::Object(map)) = (line.proration, &mut out) {
        let unit = match p.basis {
            ProrationBasis::Time(ProrationUnit::Day) => "day",
            ProrationBasis::Time(ProrationUnit::Second) => "second",
            ProrationBasis::MilliCuHours => "milli_cu_hour",
        };
        map.insert("unit".into(), json!(unit));
        map.insert("used".into(), json!(p.used));
        map.insert("total".into(), json!(p.total));
        map.insert("consumed".into(), json!(p.consumed.to_string()));
    }
    out
}

fn destination_json(d: &Destination) -> Value {
    json!({
        "order_id": d.order_id,
        "tender_index": d.tender_index,
        "from": d.from.as_str(),
        "to": d.to.as_str(),
        "amount": d.amount.to_string(),
        "rule": d.rule.as_str(),
    })
}
