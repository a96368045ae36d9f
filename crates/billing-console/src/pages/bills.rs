//! Bills & usage: the account's usage per day and workspace with totals and
//! a chart of CU-hours per day stacked by how they were covered, drawn as
//! inline SVG on the server.

use askama::Template;
use axum::extract::{RawQuery, State};
use billing_app::AppResult;
use billing_app::bills::{UsageCursor, UsageDay, UsageQuery};
use billing_domain::calendar::BillingZone;
use billing_domain::ids::WorkspaceId;
use billing_domain::money::Money;
use billing_domain::usage::CuHours;
use chrono::{Datelike, NaiveDate};

use crate::auth::Customer;
use crate::fmt;
use crate::forms::FormData;
use crate::i18n::Locale;
use crate::page::{PageResult, html};
use crate::state::ConsoleState;

/// Rows read per request to the use case.
const PAGE: i64 = 1000;

/// The days a page shows: `from` and `to` from the query, or the current
/// month of the billing zone.
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub workspace: Option<WorkspaceId>,
}

impl Period {
    /// Reads `from`, `to` and `workspace`; a bad date is an error naming
    /// the field.
    pub fn of(query: &FormData, today: NaiveDate) -> AppResult<Period> {
        let month = today.with_day(1).unwrap_or(today);
        let next = month.checked_add_months(chrono::Months::new(1)).unwrap_or(month);
        let date = |field: &str, default: NaiveDate| match query.get(field).filter(|t| !t.is_empty()) {
            None => Ok(default),
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| billing_app::AppError::invalid(field, format!("{text:?} is not a date (YYYY-MM-DD)"))),
        };
        let workspace = query.get("workspace").filter(|w| !w.is_empty()).map(crate::page::parse_id).transpose()?;
        Ok(Period { from: date("from", month)?, to: date("to", next)?, workspace })
    }

    /// The query string that names this period, for links.
    pub fn query(&self) -> String {
        let mut q = format!("from={}&to={}", self.from, self.to);
        if let Some(w) = &self.workspace {
            q.push_str("&workspace=");
            q.push_str(&url::form_urlencoded::byte_serialize(w.as_bytes()).collect::<String>());
        }
        q
    }

    fn usage(&self, after: Option<UsageCursor>, limit: i64) -> UsageQuery {
        UsageQuery {
            account_id: None,
            from: self.from,
            to: self.to,
            workspace_id: self.workspace.clone(),
            starting_after: after,
            limit,
        }
    }
}

/// A page of usage rows for an export, after `cursor`.
pub async fn usage_page(
    billing: &billing_app::Billing,
    caller: &billing_app::Caller,
    period: &Period,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Vec<UsageDay>> {
    let after = cursor.map(UsageCursor::parse).transpose()?;
    Ok(billing.metering().usage_days(caller, period.usage(after, limit)).await?.rows)
}

/// One row of the table.
pub struct UsageRow {
    pub date: String,
    pub workspace_name: String,
    pub workspace_id: String,
    pub usage: String,
    pub quota: String,
    pub plan: String,
    pub pay_as_you_go: String,
    pub charge: String,
}

/// A workspace offered in the filter.
pub struct WorkspaceOption {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "bills.html")]
struct BillsPage {
    layout: crate::page::Layout,
    from: String,
    to: String,
    /// The period's first and end day in the reader's words.
    from_words: String,
    to_words: String,
    zone: String,
    workspaces: Vec<WorkspaceOption>,
    rows: Vec<UsageRow>,
    total: UsageRow,
    chart: super::bills_chart::Chart,
    csv_href: String,
}

fn row(locale: Locale, date: String, name: String, id: String, sums: [CuHours; 4], charge: Money) -> UsageRow {
    UsageRow {
        date,
        workspace_name: name,
        workspace_id: id,
        usage: fmt::cu_hours(sums[0]),
        quota: fmt::cu_hours(sums[1]),
        plan: fmt::cu_hours(sums[2]),
        pay_as_you_go: fmt::cu_hours(sums[3]),
        charge: fmt::money(locale, charge),
    }
}

/// Every row of the period, read a page at a time.
async fn all_rows(
    billing: &billing_app::Billing,
    caller: &billing_app::Caller,
    period: &Period,
) -> AppResult<(BillingZone, Vec<UsageDay>)> {
    let mut rows: Vec<UsageDay> = Vec::new();
    loop {
        let after = rows.last().map(|r| UsageCursor { date: r.date, workspace_id: r.workspace_id.clone() });
        let page = billing.metering().usage_days(caller, period.usage(after, PAGE)).await?;
        let done = page.rows.len() < PAGE as usize;
        rows.extend(page.rows);
        if done {
            return Ok((page.zone, rows));
        }
    }
}

/// The sums of every row, or an overflow as an error.
fn totals(rows: &[UsageDay], currency: billing_domain::money::Currency) -> AppResult<([CuHours; 4], Money)> {
    let overflow = || billing_app::AppError::internal("usage totals overflow");
    let mut sums = [CuHours::ZERO; 4];
    let mut charge = Money::zero(currency);
    for r in rows {
        for (sum, part) in sums.iter_mut().zip([r.usage, r.quota, r.plan, r.pay_as_you_go]) {
            *sum = sum.checked_add(part).ok_or_else(overflow)?;
        }
        charge = charge.checked_add(r.charge).map_err(billing_app::AppError::internal)?;
    }
    Ok((sums, charge))
}

/// `GET /console/bills?from=&to=&workspace=`.
pub async fn page(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    RawQuery(query): RawQuery,
) -> PageResult {
    let billing = &state.billing;
    let query = FormData::query(query.as_deref());
    let zone = session.zone(billing).await.map_err(|e| session.fail(e))?;
    let period = Period::of(&query, zone.local_date(billing.now())).map_err(|e| session.fail(e))?;
    let load = async {
        let (zone, rows) = all_rows(billing, &session.caller, &period).await?;
        let mut workspaces = billing.accounts().workspaces(&session.caller, session.account_id()?).await?;
        workspaces.sort_by(|a, b| a.name.cmp(&b.name));
        AppResult::Ok((zone, rows, workspaces))
    };
    let (zone, rows, workspaces) = load.await.map_err(|e| session.fail(e))?;
    let currency = session.account.as_ref().map_or(billing_domain::money::Currency::Usd, |a| a.currency);
    let (sums, charge) = totals(&rows, currency).map_err(|e| session.fail(e))?;
    let l = session.locale;
    let page = BillsPage {
        layout: session.layout(&l.t("nav-bills"), "/console/bills"),
        from: period.from.to_string(),
        to: period.to.to_string(),
        from_words: fmt::date(l, period.from),
        to_words: fmt::date(l, period.to),
        zone: zone.name().to_owned(),
        workspaces: workspaces
            .into_iter()
            .map(|w| WorkspaceOption {
                selected: period.workspace.as_ref() == Some(&w.id),
                id: w.id.into_string(),
                name: w.name,
            })
            .collect(),
        chart: super::bills_chart::Chart::of(l, period.from, period.to, &rows),
        rows: rows
            .iter()
            .map(|r| {
                let sums = [r.usage, r.quota, r.plan, r.pay_as_you_go];
                row(l, fmt::date(l, r.date), r.workspace_name.clone(), r.workspace_id.to_string(), sums, r.charge)
            })
            .collect(),
        total: row(l, String::new(), String::new(), String::new(), sums, charge),
        csv_href: format!("/console/bills/usage.csv?{}", period.query()),
    };
    Ok(html(&page))
}
