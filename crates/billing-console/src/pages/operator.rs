//! The operator's pages: overview (ledger check, audit chain, simulated
//! clock) and refunds with search and Retry.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use billing_app::model::Account;
use billing_app::settings::MAX_CLOCK_JUMP;
use billing_app::unsubscription::records::{RefundFilter, RefundStatus};
use billing_app::{AppError, AppResult, Billing, Caller};
use billing_domain::calendar::BillingZone;
use billing_domain::ids::RefundId;
use billing_domain::policy::PolicyDuration;

use super::operator_accounts::{encode, zone_label, zone_of};
use super::operator_audit::{AccountMiss, VIEW_ZONE, find_account};
use super::refunds::{Names, PAGE_SIZE, RefundRow, page_cursor, policy_now, refund_row, status_filter};
use crate::auth::Operator;
use crate::fmt;
use crate::forms::FormData;
use crate::i18n::Locale;
use crate::page::{Layout, PageResult, html, parse_id, see_other};
use crate::state::ConsoleState;

/// Jumps offered by the clock form.
const CLOCK_STEPS: [&str; 6] = ["1h", "6h", "1d", "3d", "7d", "30d"];

#[derive(Template)]
#[template(path = "operator_home.html")]
struct OverviewPage {
    layout: Layout,
    ledger_ok: bool,
    movements: usize,
    entries: usize,
    problems: Vec<String>,
    audit_events: u64,
    audit_problem: Option<String>,
    pending_refunds: usize,
    simulated: bool,
    now: String,
    offset: String,
    offset_seconds: i64,
    /// The clock form's jumps: value and words.
    steps: Vec<(&'static str, String)>,
}

/// `GET /console/operator`.
pub async fn overview(
    State(state): State<ConsoleState>,
    Operator(session): Operator,
    RawQuery(query): RawQuery,
) -> PageResult {
    let billing = &state.billing;
    let caller = &session.caller;
    let l = session.locale;
    let load = async {
        let ledger = billing.operations().ledger_check(caller).await?;
        let audit = billing.operations().audit_verify(caller).await?;
        let pending = RefundFilter { status: Some(RefundStatus::Pending), limit: 1000, ..RefundFilter::default() };
        let pending_refunds = billing.unsubscriptions().refunds(caller, pending).await?.len();
        let (mode, offset_micros) = billing.operations().clock_settings().await?;
        AppResult::Ok(OverviewPage {
            layout: Layout::default(),
            ledger_ok: ledger.ok(),
            movements: ledger.movements,
            entries: ledger.entries,
            problems: ledger.problems,
            audit_events: audit.events,
            audit_problem: audit.problem,
            pending_refunds,
            simulated: mode == "simulated",
            now: fmt::date_time(l, BillingZone::DEFAULT, billing.now()),
            offset: fmt::duration(l, PolicyDuration::from_seconds(offset_micros / 1_000_000)),
            offset_seconds: offset_micros / 1_000_000,
            steps: CLOCK_STEPS.iter().map(|s| (*s, step_words(l, s))).collect(),
        })
    };
    let mut page = load.await.map_err(|e| session.fail(e))?;
    let advanced = FormData::query(query.as_deref()).text("advanced").parse::<PolicyDuration>().ok();
    let notice = advanced.map(|d| l.t1("operator-clock-moved", "by", fmt::duration(l, d)));
    page.layout = session.layout(&l.t("operator-title"), "/console/operator").with_notice(notice);
    Ok(html(&page))
}

/// A jump of the clock form in words (`1d` → `1 day`).
fn step_words(l: Locale, step: &str) -> String {
    step.parse::<PolicyDuration>().map_or_else(|_| step.to_owned(), |d| fmt::duration(l, d))
}

/// `POST /console/operator/clock`: moves the simulated clock forward.
pub async fn advance_clock(State(state): State<ConsoleState>, Operator(session): Operator, body: Bytes) -> PageResult {
    let form = FormData::parse(&body);
    let by: PolicyDuration = form.text("by").parse().map_err(|e: String| session.fail(AppError::invalid("by", e)))?;
    if by.as_duration() > MAX_CLOCK_JUMP {
        return Err(session.fail(AppError::invalid("by", "at most 400 days at a time")));
    }
    state.billing.operations().advance_clock(&session.caller, by.as_duration()).await.map_err(|e| session.fail(e))?;
    Ok(see_other(&format!("/console/operator?advanced={by}")))
}

#[derive(Template)]
#[template(path = "operator_refunds.html")]
struct RefundsPage {
    layout: Layout,
    status: &'static str,
    q: String,
    account: Option<(String, String)>,
    problem: Option<String>,
    rows: Vec<RefundRow>,
    operator: bool,
    older: Option<String>,
}

/// What a refund search names: one refund (opened at once) or an account.
enum Search {
    Everything,
    Refund(String),
    Account(Account),
    Nothing(String),
}

async fn search(billing: &Billing, caller: &Caller, l: Locale, q: &str) -> AppResult<Search> {
    if q.is_empty() {
        return Ok(Search::Everything);
    }
    // Text that cannot be a refund id names no refund.
    if let Ok(id) = RefundId::parse(q) {
        match billing.unsubscriptions().refund(caller, &id).await {
            Ok(refund) => return Ok(Search::Refund(refund.id.into_string())),
            Err(AppError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(match find_account(billing, caller, q).await? {
        Ok(account) => Search::Account(account),
        Err(AccountMiss::Unknown) => Search::Nothing(l.t1("operator-refunds-not-found", "q", q)),
        Err(miss) => Search::Nothing(miss.words(l, q)),
    })
}

/// `GET /console/operator/refunds?status=&q=`: refunds, narrowed by status
/// and by account (name or id); a refund id opens that refund.
pub async fn refunds(
    State(state): State<ConsoleState>,
    Operator(session): Operator,
    RawQuery(query): RawQuery,
) -> PageResult {
    let query = FormData::query(query.as_deref());
    let status = status_filter(&query);
    let l = session.locale;
    let q = query.text("q").to_owned();
    let billing = &state.billing;
    let found = search(billing, &session.caller, l, &q).await.map_err(|e| session.fail(e))?;
    let (account, problem) = match found {
        Search::Refund(id) => return Ok(see_other(&format!("/console/operator/refunds/{}", encode(&id)))),
        Search::Everything => (None, None),
        Search::Account(account) => (Some(account), None),
        Search::Nothing(why) => (None, Some(why)),
    };
    let load = async {
        if problem.is_some() {
            return AppResult::Ok(Vec::new());
        }
        let filter = RefundFilter {
            account_id: account.as_ref().map(|a| a.id.clone()),
            status,
            limit: PAGE_SIZE,
            starting_after: page_cursor(&query),
            ..RefundFilter::default()
        };
        let refunds = billing.unsubscriptions().refunds(&session.caller, filter).await?;
        let policy = policy_now(billing).await?;
        let zone = match &account {
            Some(a) => zone_of(billing, a.currency).await?,
            None => VIEW_ZONE,
        };
        let names = Names::of(billing, &session.caller, &refunds).await?;
        AppResult::Ok(refunds.iter().map(|r| refund_row(l, r, &policy, zone, &names)).collect::<Vec<_>>())
    };
    let rows = load.await.map_err(|e| session.fail(e))?;
    let retried = query.text("retried");
    let notice = rows.iter().any(|r| r.id == retried).then(|| l.t1("operator-refund-released", "refund", retried));
    let layout = session.layout(&l.t("nav-refunds"), "/console/operator/refunds").with_notice(notice);
    let status = status.map_or("", RefundStatus::as_str);
    let older = rows
        .last()
        .filter(|_| rows.len() >= PAGE_SIZE as usize)
        .map(|last| format!("/console/operator/refunds?status={status}&q={}&after={}", encode(&q), encode(&last.id)));
    let account = account.map(|a| (a.id.into_string(), a.name));
    let failed = problem.is_some();
    let mut response = html(&RefundsPage { layout, status, q, account, problem, rows, operator: true, older });
    if failed {
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "operator_refund.html")]
struct RefundPage {
    layout: Layout,
    row: RefundRow,
    zone: String,
    rerouted_from: Option<String>,
}

/// `GET /console/operator/refunds/{id}`: one refund, in its account's zone.
pub async fn refund(
    State(state): State<ConsoleState>,
    Operator(session): Operator,
    Path(id): Path<String>,
) -> PageResult {
    let billing = &state.billing;
    let caller = &session.caller;
    let load = async {
        let id: RefundId = parse_id(&id)?;
        let refund = billing.unsubscriptions().refund(caller, &id).await?;
        let account = billing.accounts().account(caller, &refund.account_id).await?;
        let zone = zone_of(billing, account.currency).await?;
        let policy = policy_now(billing).await?;
        let names = Names::of(billing, caller, std::slice::from_ref(&refund)).await?;
        let row = refund_row(session.locale, &refund, &policy, zone, &names);
        AppResult::Ok(RefundPage {
            layout: Layout::default(),
            row,
            zone: zone_label(zone, billing.now()),
            rerouted_from: refund.rerouted_from.map(RefundId::into_string),
        })
    };
    let mut page = load.await.map_err(|e| session.fail(e))?;
    page.layout = session.layout(&session.locale.t("col-refund"), "/console/operator/refunds");
    Ok(html(&page))
}

/// `POST /console/operator/refunds/{id}/retry`.
pub async fn retry(
    State(state): State<ConsoleState>,
    Operator(session): Operator,
    Path(id): Path<String>,
) -> PageResult {
    let id: RefundId = parse_id(&id).map_err(|e| session.fail(e))?;
    let refund =
        state.billing.unsubscriptions().retry_refund(&session.caller, &id).await.map_err(|e| session.fail(e))?;
    Ok(see_other(&format!("/console/operator/refunds?status=pending&retried={}", refund.id)))
}
