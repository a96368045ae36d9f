//! The review page's content, built from a binding quote: each order's cash
//! with vouchers and coupons struck out, the consumed part, the refund, and
//! where each part of it goes and why.

use askama::Template;
use billing_app::model::InstanceRecord;
use billing_app::unsubscription::QuoteView;
use billing_app::{AppResult, Billing, Caller};
use billing_domain::Destination;
use billing_domain::ProrationUnit;
use billing_domain::catalog::Commodity;
use billing_domain::ids::PaymentMethodId;
use billing_domain::money::Money;
use billing_domain::policy::Policy;
use billing_domain::quote::{ProrationBasis, QuoteLine};

use crate::fmt;
use crate::i18n::Locale;
use crate::page::Layout;
use crate::words;

/// One order of the quote.
pub struct LineView {
    pub order_id: String,
    pub kind: String,
    pub period: String,
    pub list_price: String,
    pub discount: Option<String>,
    pub coupon: Option<String>,
    pub voucher: Option<String>,
    pub cash_paid: String,
    pub removed: Option<String>,
    pub usage: Option<String>,
    pub consumed: Option<String>,
    pub refund: String,
}

/// One part of the refund and where it goes.
pub struct DestinationView {
    pub amount: String,
    pub from: String,
    pub to: String,
    pub why: String,
    pub arrival: String,
    pub rule: &'static str,
}

/// What deleting the workspace would remove.
pub struct DeletionView {
    pub workspace_id: String,
    pub name: String,
    /// What goes with it, in a sentence.
    pub warning: String,
}

/// The review page.
#[derive(Template)]
#[template(path = "review.html")]
pub struct ReviewPage {
    pub layout: Layout,
    pub instance_id: String,
    pub commodity: String,
    pub subject: String,
    pub region: String,
    pub eligible: bool,
    pub reason_code: &'static str,
    pub reason_message: String,
    pub refund_type: String,
    pub quote_id: String,
    pub valid_until: String,
    pub policy_version: u32,
    pub lines: Vec<LineView>,
    pub refund: String,
    pub destinations: Vec<DestinationView>,
    pub deletes: Option<DeletionView>,
    pub idempotency_key: String,
    /// What was wrong with the last try, and its details line (the code).
    pub error: Option<(String, String)>,
}

fn nonzero(l: Locale, m: Money) -> Option<String> {
    (!m.is_zero()).then(|| fmt::money(l, m))
}

fn usage_words(l: Locale, basis: ProrationBasis, used: i64, total: i64) -> String {
    match basis {
        ProrationBasis::Time(ProrationUnit::Day) => l.t2("review-used-days", "used", used, "total", total),
        ProrationBasis::Time(ProrationUnit::Second) => l.t2("review-used-seconds", "used", used, "total", total),
        ProrationBasis::MilliCuHours => {
            let cu = |milli| fmt::cu_hours(billing_domain::usage::CuHours::from_milli(milli));
            l.t2("review-used-cu-hours", "used", cu(used), "total", cu(total))
        }
    }
}

fn line_view(l: Locale, line: &QuoteLine, zone: billing_domain::BillingZone) -> LineView {
    let c = &line.charges;
    LineView {
        order_id: line.order_id.to_string(),
        kind: words::line_kind(l, line.kind),
        period: format!(
            "{} → {}",
            fmt::date_time(l, zone, line.period.start),
            fmt::date_time(l, zone, line.period.end)
        ),
        list_price: fmt::money(l, c.list_price),
        discount: nonzero(l, c.discount),
        coupon: nonzero(l, c.coupon),
        voucher: nonzero(l, c.voucher),
        cash_paid: fmt::money(l, line.cash_paid),
        removed: line.removed.map(|m| fmt::money(l, m)),
        usage: line.proration.map(|p| usage_words(l, p.basis, p.used, p.total)),
        consumed: line.proration.map(|p| fmt::money(l, p.consumed)),
        refund: fmt::money(l, line.refund),
    }
}

/// The label of the method a tender was paid with ("Visa ending 4242"), by
/// the destination's order and tender.
pub type TenderLabels = std::collections::HashMap<(usize, usize), String>;

/// The labels of every tender of `record`'s orders that names a method.
pub async fn tender_labels(billing: &Billing, caller: &Caller, record: &InstanceRecord) -> AppResult<TenderLabels> {
    let methods: std::collections::HashMap<PaymentMethodId, String> = billing
        .accounts()
        .payment_methods(caller, &record.account_id)
        .await?
        .into_iter()
        .map(|m| (m.id, m.label))
        .collect();
    let mut labels = TenderLabels::new();
    for (o, order) in billing.purchases().orders(caller, &record.id).await?.iter().enumerate() {
        for (t, tender) in order.tenders.iter().enumerate() {
            if let Some(label) = tender.payment_method_id.as_ref().and_then(|id| methods.get(id)) {
                labels.insert((o, t), label.clone());
            }
        }
    }
    Ok(labels)
}

fn destination_view(l: Locale, d: &Destination, policy: &Policy, labels: &TenderLabels) -> DestinationView {
    let label = labels.get(&(d.order_index, d.tender_index));
    let from = label.cloned().unwrap_or_else(|| words::method(l, d.from));
    let to = match label {
        Some(label) if d.to == d.from => label.clone(),
        _ => words::method(l, d.to),
    };
    DestinationView {
        amount: fmt::money(l, d.amount),
        from,
        to,
        why: words::route_reason(l, d.rule.as_str(), d.from, policy),
        arrival: words::arrival_promise(l, d.to),
        rule: d.rule.as_str(),
    }
}

/// What the instance is, in a few words (a quota names its workspace).
pub async fn subject(billing: &Billing, caller: &Caller, record: &InstanceRecord, l: Locale) -> String {
    match (record.commodity, record.quota_cu, record.workspace_id.as_ref()) {
        (Commodity::SparkReserved, Some(cu), Some(ws)) => {
            let name = billing.accounts().workspace_details(caller, ws).await.map(|d| d.workspace.name);
            l.t2("review-subject-quota", "cu", cu, "workspace", name.unwrap_or_else(|_| ws.to_string()))
        }
        _ => match record.capacity {
            Some(c) => l.t2("review-subject-plan", "amount", fmt::cu_hours(c), "region", &record.region_id),
            None => record.id.to_string(),
        },
    }
}

/// The page for a binding quote of `record`.
pub async fn review_page(
    billing: &Billing,
    layout: Layout,
    caller: &Caller,
    record: &InstanceRecord,
    view: &QuoteView,
) -> AppResult<ReviewPage> {
    let versions = billing.operations().policy_versions().await?;
    let policy = versions.iter().find(|v| v.version == view.stored.policy_version).map(|v| v.policy);
    let policy = policy.unwrap_or_default();
    let quote = &view.quote;
    let labels = tender_labels(billing, caller, record).await?;
    let reason = quote.reason;
    let l = layout.locale;
    Ok(ReviewPage {
        layout,
        instance_id: record.id.to_string(),
        commodity: words::commodity(l, record.commodity),
        subject: subject(billing, caller, record, l).await,
        region: record.region_id.clone(),
        eligible: quote.eligible(),
        reason_code: reason.map_or("", |r| r.code()),
        reason_message: words::quote_reason(l, quote).unwrap_or_default(),
        refund_type: words::refund_type(l, quote.refund_type),
        quote_id: view.stored.id.to_string(),
        valid_until: fmt::date_time(l, view.zone, view.stored.expires_at),
        policy_version: view.stored.policy_version,
        lines: quote.lines.iter().map(|line| line_view(l, line, view.zone)).collect(),
        refund: fmt::money(l, quote.refund),
        destinations: quote.destinations.iter().map(|d| destination_view(l, d, &policy, &labels)).collect(),
        deletes: view.deletes.as_ref().map(|t| DeletionView {
            workspace_id: t.workspace_id.to_string(),
            name: t.name.clone(),
            warning: l.t_args(
                "review-delete-warning",
                &[
                    ("name", t.name.as_str().into()),
                    ("jobs", t.jobs.into()),
                    ("objects", t.data_objects.into()),
                    ("queues", t.queues.into()),
                ],
            ),
        }),
        idempotency_key: format!("console-{}", uuid::Uuid::new_v4().simple()),
        error: None,
    })
}
