//! Unsubscribe: prepaid instances in two tabs, Regular Cloud Resource (the
//! workspaces' quotas) and Resource Plans, with a commodity filter, an
//! instance-id search and each instance's refund type right now.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{RawQuery, State};
use billing_app::model::{InstanceRecord, InstanceState};
use billing_app::periods::plan_period;
use billing_app::{AppResult, Billing, Caller};
use billing_domain::catalog::Commodity;

use super::workspaces::last_period;
use crate::auth::Customer;
use crate::fmt;
use crate::forms::FormData;
use crate::i18n::Locale;
use crate::page::{Layout, PageResult, html};
use crate::state::ConsoleState;
use crate::words;

/// One instance in the list.
struct InstanceRow {
    id: String,
    commodity: String,
    region: String,
    detail: String,
    state: String,
    expires: String,
    refund_type: String,
    reason: Option<String>,
    reason_code: &'static str,
    can_unsubscribe: bool,
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    layout: Layout,
    plans_tab: bool,
    commodity: &'static str,
    search: String,
    rows: Vec<InstanceRow>,
    quota_count: usize,
    plan_count: usize,
}

/// The end of an instance's paid time, to the minute in its billing zone.
async fn expires(billing: &Billing, caller: &Caller, record: &InstanceRecord, l: Locale) -> AppResult<String> {
    let zone = billing.operations().regions().await?.into_iter().find(|r| r.id == record.region_id).map(|r| r.zone);
    let zone = zone.unwrap_or_default();
    let period = match record.commodity {
        Commodity::SparkReserved => last_period(billing, caller, &record.id).await?,
        Commodity::SparkResourcePlan => plan_period(zone, &billing.purchases().orders(caller, &record.id).await?)?,
    };
    Ok(period.map_or_else(|| "—".to_owned(), |p| fmt::date_time(l, zone, p.end)))
}

async fn row(
    billing: &Billing,
    caller: &Caller,
    record: &InstanceRecord,
    names: &HashMap<String, String>,
    l: Locale,
) -> AppResult<InstanceRow> {
    let (refund_type, quote) = billing.unsubscriptions().refund_type_now(caller, record).await?;
    let detail = match (record.quota_cu, record.workspace_id.as_deref(), record.capacity) {
        (Some(cu), Some(ws), _) => format!("{cu} CU · {}", names.get(ws).map_or(ws, String::as_str)),
        (_, _, Some(capacity)) => l.t1("cu-hours-count", "amount", fmt::cu_hours(capacity)),
        _ => String::new(),
    };
    Ok(InstanceRow {
        id: record.id.to_string(),
        commodity: words::commodity(l, record.commodity),
        region: record.region_id.clone(),
        detail,
        state: words::state_now(l, record.state, quote.reason),
        expires: expires(billing, caller, record, l).await?,
        refund_type: words::refund_type(l, refund_type),
        reason: words::quote_reason(l, &quote),
        reason_code: quote.reason.map_or("", |r| r.code()),
        can_unsubscribe: record.state == InstanceState::Active && quote.eligible(),
    })
}

/// `GET /console/unsubscribe?tab=&commodity=&q=`.
pub async fn list(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    RawQuery(query): RawQuery,
) -> PageResult {
    let query = FormData::query(query.as_deref());
    let commodity = match query.text("commodity") {
        "spark_resource_plan" => Commodity::SparkResourcePlan,
        "spark_reserved" => Commodity::SparkReserved,
        _ if query.text("tab") == "plans" => Commodity::SparkResourcePlan,
        _ => Commodity::SparkReserved,
    };
    let search = query.text("q").to_owned();
    let billing = &state.billing;
    let l = session.locale;
    let load = async {
        let names: HashMap<String, String> = billing
            .accounts()
            .workspaces(&session.caller, session.account_id()?)
            .await?
            .into_iter()
            .map(|w| (w.id.into_string(), w.name))
            .collect();
        let all: Vec<InstanceRecord> = billing
            .purchases()
            .instances(&session.caller, None)
            .await?
            .into_iter()
            .filter(|i| !matches!(i.state, InstanceState::Cancelled | InstanceState::PendingPayment))
            .collect();
        let count = |c: Commodity| all.iter().filter(|i| i.commodity == c).count();
        let counts = (count(Commodity::SparkReserved), count(Commodity::SparkResourcePlan));
        let needle = search.to_lowercase();
        let mut rows = Vec::new();
        for record in all.iter().filter(|i| i.commodity == commodity && i.id.to_lowercase().contains(&needle)) {
            rows.push(row(billing, &session.caller, record, &names, l).await?);
        }
        AppResult::Ok((rows, counts))
    };
    let (rows, (quota_count, plan_count)) = load.await.map_err(|e| session.fail(e))?;
    Ok(html(&UnsubscribePage {
        layout: session.layout(&l.t("nav-unsubscribe"), "/console/unsubscribe"),
        plans_tab: commodity == Commodity::SparkResourcePlan,
        commodity: commodity.code(),
        search,
        rows,
        quota_count,
        plan_count,
    }))
}
