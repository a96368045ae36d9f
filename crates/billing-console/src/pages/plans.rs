//! Resource plans with their capacity as a bar, and one instance in detail:
//! a quota's billing timeline as a picture, a plan's capacity, the orders.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use billing_app::model::{InstanceRecord, InstanceState, OrderRecord};
use billing_app::periods::plan_period;
use billing_app::{AppResult, Billing, Caller};
use billing_domain::calendar::BillingZone;
use billing_domain::catalog::Commodity;
use billing_domain::ids::InstanceId;
use billing_domain::order::OrderKind;
use billing_domain::usage::CuHours;

use crate::auth::Customer;
use crate::fmt;
use crate::forms::FormData;
use crate::i18n::Locale;
use crate::page::{Layout, PageResult, html, parse_id};
use crate::state::ConsoleState;
use crate::timeline::{PeriodInput, Timeline, WIDTH, quota_timeline, share};
use crate::words;

/// A plan's capacity, drawn as a bar.
pub struct CapacityView {
    pub capacity: String,
    pub used: String,
    pub remaining: String,
    pub used_width: i64,
    pub remaining_width: i64,
    /// What an unsubscribed or expired plan left undrawn, with its label.
    pub gone: Option<(String, String)>,
    pub gone_width: i64,
}

/// One resource plan in the list.
struct PlanRow {
    id: String,
    region: String,
    state: String,
    validity: String,
    bar: CapacityView,
    /// Active and refundable now: the card offers Unsubscribe.
    can_unsubscribe: bool,
}

#[derive(Template)]
#[template(path = "plans.html")]
struct PlansPage {
    layout: Layout,
    rows: Vec<PlanRow>,
    width: i64,
}

/// The capacity view of a plan; a plan given back or expired has nothing
/// left to draw, and shows what it left undrawn as given back or expired.
fn capacity_view(l: Locale, record: &InstanceRecord) -> CapacityView {
    let capacity = record.capacity.unwrap_or_default();
    let undrawn = capacity.milli().saturating_sub(record.used.milli()).max(0);
    let (left, gone) = match record.state {
        InstanceState::Active => (undrawn, None),
        InstanceState::Unsubscribed => (0, Some((l.t("plans-given-back"), undrawn))),
        _ => (0, Some((l.t("plans-expired-unused"), undrawn))),
    };
    let gone_milli = gone.as_ref().map_or(0, |(_, m)| *m);
    CapacityView {
        capacity: fmt::cu_hours(capacity),
        used: fmt::cu_hours(record.used),
        remaining: fmt::cu_hours(CuHours::from_milli(left)),
        used_width: share(record.used.milli(), capacity.milli(), WIDTH),
        remaining_width: share(left, capacity.milli(), WIDTH),
        gone: gone.map(|(label, m)| (label, fmt::cu_hours(CuHours::from_milli(m)))),
        gone_width: share(gone_milli, capacity.milli(), WIDTH),
    }
}

async fn zone_of(billing: &Billing, region_id: &str) -> AppResult<BillingZone> {
    Ok(billing
        .operations()
        .regions()
        .await?
        .into_iter()
        .find(|r| r.id == region_id)
        .map(|r| r.zone)
        .unwrap_or_default())
}

async fn validity(billing: &Billing, caller: &Caller, record: &InstanceRecord, l: Locale) -> AppResult<String> {
    let zone = zone_of(billing, &record.region_id).await?;
    let orders = billing.purchases().orders(caller, &record.id).await?;
    Ok(match plan_period(zone, &orders)? {
        Some(p) => format!("{} → {}", fmt::date_time(l, zone, p.start), fmt::date_time(l, zone, p.end)),
        None => "—".to_owned(),
    })
}

/// `GET /console/plans`.
pub async fn list(State(state): State<ConsoleState>, Customer(session): Customer) -> PageResult {
    let billing = &state.billing;
    let l = session.locale;
    let load = async {
        let mut rows = Vec::new();
        for record in billing.purchases().instances(&session.caller, None).await? {
            if record.commodity != Commodity::SparkResourcePlan
                || matches!(record.state, InstanceState::Cancelled | InstanceState::PendingPayment)
            {
                continue;
            }
            let reason = match record.state {
                InstanceState::Active => {
                    billing.unsubscriptions().refund_type_now(&session.caller, &record).await?.1.reason
                }
                _ => None,
            };
            rows.push(PlanRow {
                validity: validity(billing, &session.caller, &record, l).await?,
                bar: capacity_view(l, &record),
                can_unsubscribe: record.state == InstanceState::Active && reason.is_none(),
                state: words::state_now(l, record.state, reason),
                region: record.region_id.clone(),
                id: record.id.into_string(),
            });
        }
        AppResult::Ok(rows)
    };
    let rows = load.await.map_err(|e| session.fail(e))?;
    Ok(html(&PlansPage { layout: session.layout(&l.t("nav-resource-plans"), "/console/plans"), rows, width: WIDTH }))
}

/// One order of an instance.
struct OrderRow {
    id: String,
    kind: String,
    status: &'static str,
    status_label: String,
    months: u32,
    list_price: String,
    cash_paid: String,
    paid_at: String,
}

/// One period of the timeline, in words.
struct PeriodRow {
    order_id: String,
    kind: String,
    class: &'static str,
    start: String,
    expiration: String,
}

#[derive(Template)]
#[template(path = "instance.html")]
struct InstancePage {
    layout: Layout,
    record: InstanceRecord,
    commodity: String,
    state: String,
    workspace_name: Option<String>,
    timeline: Option<Timeline>,
    periods: Vec<PeriodRow>,
    today: String,
    capacity: Option<CapacityView>,
    orders: Vec<OrderRow>,
    width: i64,
    active: bool,
}

fn order_row(l: Locale, o: &OrderRecord, zone: BillingZone) -> OrderRow {
    OrderRow {
        id: o.id.to_string(),
        kind: l.t(if o.kind == OrderKind::New { "order-kind-new" } else { "order-kind-renewal" }),
        status: o.status.as_str(),
        status_label: l.t(match o.status {
            billing_domain::order::OrderStatus::Unpaid => "order-status-unpaid",
            billing_domain::order::OrderStatus::Paid => "order-status-paid",
            billing_domain::order::OrderStatus::Cancelled => "order-status-cancelled",
            billing_domain::order::OrderStatus::Refunded => "order-status-refunded",
        }),
        months: o.months,
        list_price: fmt::money(l, o.charges.list_price),
        cash_paid: o.charges.cash_due().map(|m| fmt::money(l, m)).unwrap_or_default(),
        paid_at: o.paid_at.map_or_else(|| "—".to_owned(), |t| fmt::date_time(l, zone, t)),
    }
}

/// The timeline of a quota with its periods in words.
async fn timeline_of(
    billing: &Billing,
    caller: &Caller,
    id: &InstanceId,
    l: Locale,
) -> AppResult<(Option<Timeline>, Vec<PeriodRow>)> {
    let (zone, periods) = billing.purchases().quota_timeline(caller, id).await?;
    let inputs: Vec<PeriodInput> = periods
        .iter()
        .map(|(o, p)| PeriodInput {
            order_id: o.id.to_string(),
            renewal: o.kind == OrderKind::Renewal,
            start: p.start,
            end: p.end,
            expiration: p.expiration_date,
        })
        .collect();
    let mut timeline = quota_timeline(&inputs, billing.now());
    let changes: Vec<_> = billing
        .purchases()
        .quota_changes(caller, id)
        .await?
        .iter()
        .map(|c| (c.effective_from, c.quota_cu_before, c.quota_cu_after))
        .collect();
    if let Some(t) = timeline.as_mut() {
        t.mark_changes(&inputs, &changes);
    }
    let rows = timeline.as_ref().map_or_else(Vec::new, |t| {
        t.segments
            .iter()
            .zip(&inputs)
            .map(|(s, p)| PeriodRow {
                order_id: s.order_id.clone(),
                kind: l.t(s.kind.label_id()),
                class: s.kind.class(),
                start: fmt::date_time(l, zone, p.start),
                expiration: fmt::date_time(l, zone, p.end),
            })
            .collect()
    });
    Ok((timeline, rows))
}

/// `GET /console/instances/{id}`.
pub async fn instance(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let billing = &state.billing;
    let caller = &session.caller;
    let l = session.locale;
    let load = async {
        let id: InstanceId = parse_id(&id)?;
        let record = billing.purchases().instance(caller, &id).await?;
        let zone = zone_of(billing, &record.region_id).await?;
        let orders = billing.purchases().orders(caller, &id).await?.iter().map(|o| order_row(l, o, zone)).collect();
        let (timeline, periods) = match record.commodity {
            Commodity::SparkReserved => timeline_of(billing, caller, &id, l).await?,
            Commodity::SparkResourcePlan => (None, Vec::new()),
        };
        let workspace_name = match record.workspace_id.as_ref() {
            Some(ws) => billing.accounts().workspace_details(caller, ws).await.ok().map(|d| d.workspace.name),
            None => None,
        };
        let reason = match record.state {
            InstanceState::Active => billing.unsubscriptions().refund_type_now(caller, &record).await?.1.reason,
            _ => None,
        };
        AppResult::Ok(InstancePage {
            layout: Layout::default(),
            commodity: words::commodity(l, record.commodity),
            state: words::state_now(l, record.state, reason),
            capacity: (record.commodity == Commodity::SparkResourcePlan).then(|| capacity_view(l, &record)),
            active: record.state == InstanceState::Active,
            today: fmt::date_time(l, zone, billing.now()),
            workspace_name,
            timeline,
            periods,
            orders,
            width: WIDTH,
            record,
        })
    };
    let mut page = load.await.map_err(|e| session.fail(e))?;
    let renewed = FormData::query(query.as_deref()).text("renewed").to_owned();
    let notice = page.orders.iter().any(|o| o.id == renewed).then(|| l.t1("instance-renewed-notice", "order", renewed));
    page.layout = session.layout(&l.t("instance-title"), "/console/unsubscribe").with_notice(notice);
    Ok(html(&page))
}
