//! The columns of the exports (usage per day, refunds, orders): one header
//! and one row of text per item, shared by the command line's reports and
//! the console's CSV downloads so that both give the same file. Amounts are
//! integers of minor units with their currency, CU-hours decimals with
//! three places, instants RFC 3339 with the billing zone's offset.
//! Quoting is the writer's business (the `csv` crate, at the edges).

use billing_domain::calendar::BillingZone;

use crate::bills::UsageDay;
use crate::model::OrderRecord;
use crate::unsubscription::records::Refund;

/// Columns of the usage export.
pub const USAGE_COLUMNS: [&str; 9] = [
    "date",
    "workspace_id",
    "workspace_name",
    "usage_cu_hours",
    "quota_cu_hours",
    "plan_cu_hours",
    "pay_as_you_go_cu_hours",
    "charge_minor",
    "currency",
];

/// One usage row.
pub fn usage_row(r: &UsageDay) -> Vec<String> {
    vec![
        r.date.to_string(),
        r.workspace_id.to_string(),
        r.workspace_name.clone(),
        r.usage.to_string(),
        r.quota.to_string(),
        r.plan.to_string(),
        r.pay_as_you_go.to_string(),
        r.charge.minor().to_string(),
        r.charge.currency().code().to_owned(),
    ]
}

/// Columns of the refund export.
pub const REFUND_COLUMNS: [&str; 11] = [
    "id",
    "created_at",
    "order_id",
    "from",
    "to",
    "rule",
    "status",
    "amount_minor",
    "currency",
    "expected_by",
    "rerouted_from",
];

/// One refund row, instants in `zone`.
pub fn refund_row(r: &Refund, zone: BillingZone) -> Vec<String> {
    vec![
        r.id.to_string(),
        zone.format_rfc3339(r.created_at),
        r.order_id.to_string(),
        r.from.as_str().to_owned(),
        r.destination.as_str().to_owned(),
        r.rule.clone(),
        r.status.as_str().to_owned(),
        r.amount.minor().to_string(),
        r.amount.currency().code().to_owned(),
        zone.format_rfc3339(r.expected_by),
        r.rerouted_from.as_ref().map(ToString::to_string).unwrap_or_default(),
    ]
}

/// Columns of the order export.
pub const ORDER_COLUMNS: [&str; 13] = [
    "id",
    "created_at",
    "instance_id",
    "kind",
    "status",
    "months",
    "list_price_minor",
    "discount_minor",
    "coupon_minor",
    "voucher_minor",
    "cash_due_minor",
    "currency",
    "paid_at",
];

/// One order row, instants in `zone`.
pub fn order_row(o: &OrderRecord, zone: BillingZone) -> Vec<String> {
    let c = &o.charges;
    // Cash due is list − discount − coupon − voucher floored at zero; a sum
    // that does not fit is left empty rather than made up.
    let cash_due = c.cash_due().map(|m| m.minor().to_string()).unwrap_or_default();
    vec![
        o.id.to_string(),
        zone.format_rfc3339(o.created_at),
        o.instance_id.to_string(),
        o.kind.as_str().to_owned(),
        o.status.as_str().to_owned(),
        o.months.to_string(),
        c.list_price.minor().to_string(),
        c.discount.minor().to_string(),
        c.coupon.minor().to_string(),
        c.voucher.minor().to_string(),
        cash_due,
        o.currency().code().to_owned(),
        o.paid_at.map(|t| zone.format_rfc3339(t)).unwrap_or_default(),
    ]
}
