//! The operator's pages: overview (ledger check, audit chain, simulated
//! clock), refunds with Retry, the audit log, and refund policy versions.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use billing_app::settings::MAX_CLOCK_JUMP;
use billing_app::unsubscription::records::{RefundFilter, RefundStatus};
use billing_app::{AppError, AppResult};
use billing_domain::calendar::BillingZone;
use billing_domain::policy::PolicyDuration;

use super::refunds::{Names, PAGE_SIZE, RefundRow, older_href, page_cursor, policy_now, refund_row, status_filter};
use crate::auth::Operator;
use crate::fmt;
use crate::forms::FormData;
use crate::page::{Layout, PageResult, html, see_other};
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
    steps: [&'static str; 6],
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
        let ledger = billing.ledger_check(caller).await?;
        let audit = billing.audit_verify(caller).await?;
        let pending = RefundFilter { status: Some(RefundStatus::Pending), limit: 1000, ..RefundFilter::default() };
        let pending_refunds = billing.refunds(caller, pending).await?.len();
        let (mode, offset_micros) = billing.clock_settings().await?;
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
            steps: CLOCK_STEPS,
        })
    };
    let mut page = load.await.map_err(|e| session.fail(e))?;
    let advanced = FormData::query(query.as_deref()).text("advanced").parse::<PolicyDuration>().ok();
    let notice = advanced.map(|d| l.t1("operator-clock-moved", "by", fmt::duration(l, d)));
    page.layout = session.layout(&l.t("operator-title"), "/console/operator").with_notice(notice);
    Ok(html(&page))
}

/// `POST /console/operator/clock`: moves the simulated clock forward.
pub async fn advance_clock(State(state): State<ConsoleState>, Operator(session): Operator, body: Bytes) -> PageResult {
    let form = FormData::parse(&body);
    let by: PolicyDuration = form.text("by").parse().map_err(|e: String| session.fail(AppError::invalid("by", e)))?;
    if by.as_duration() > MAX_CLOCK_JUMP {
        return Err(session.fail(AppError::invalid("by", "at most 400 days at a time")));
    }
    state.billing.advance_clock(&session.caller, by.as_duration()).await.map_err(|e| session.fail(e))?;
    Ok(see_other(&format!("/console/operator?advanced={by}")))
}

#[derive(Template)]
#[template(path = "operator_refunds.html")]
struct RefundsPage {
    layout: Layout,
    status: &'static str,
    rows: Vec<RefundRow>,
    operator: bool,
    older: Option<String>,
}

/// `GET /console/operator/refunds?status=`.
pub async fn refunds(
    State(state): State<ConsoleState>,
    Operator(session): Operator,
    RawQuery(query): RawQuery,
) -> PageResult {
    let query = FormData::query(query.as_deref());
    let status = status_filter(&query);
    let l = session.locale;
    let billing = &state.billing;
    let load = async {
        let refunds = billing
            .refunds(
                &session.caller,
                RefundFilter {
                    status,
                    limit: PAGE_SIZE,
                    starting_after: page_cursor(&query),
                    ..RefundFilter::default()
                },
            )
            .await?;
        let policy = policy_now(billing).await?;
        let zone = session.zone(billing).await?;
        let names = Names::of(billing, &session.caller, &refunds).await?;
        AppResult::Ok(refunds.iter().map(|r| refund_row(l, r, &policy, zone, &names)).collect::<Vec<_>>())
    };
    let rows = load.await.map_err(|e| session.fail(e))?;
    let retried = query.text("retried");
    let notice = rows.iter().any(|r| r.id == retried).then(|| l.t1("operator-refund-released", "refund", retried));
    let layout = session.layout(&l.t("nav-refunds"), "/console/operator/refunds").with_notice(notice);
    let older = older_href("/console/operator/refunds", status, &rows);
    Ok(html(&RefundsPage { layout, status: status.map_or("", RefundStatus::as_str), rows, operator: true, older }))
}

/// `POST /console/operator/refunds/{id}/retry`.
pub async fn retry(
    State(state): State<ConsoleState>,
    Operator(session): Operator,
    Path(id): Path<String>,
) -> PageResult {
    let refund = state.billing.retry_refund(&session.caller, &id).await.map_err(|e| session.fail(e))?;
    Ok(see_other(&format!("/console/operator/refunds?status=pending&retried={}", refund.id)))
}

/// One audit event, shortened for the table.
struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "operator_audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
}

/// Longest detail shown in the audit table, in characters.
const DETAIL_CHARS: usize = 160;

/// `GET /console/operator/audit`: the newest events.
pub async fn audit(State(state): State<ConsoleState>, Operator(session): Operator) -> PageResult {
    let l = session.locale;
    let events = state.billing.recent_audit_events(&session.caller, 100).await.map_err(|e| session.fail(e))?;
    let rows = events
        .into_iter()
        .map(|e| {
            let mut detail: String = e.detail.chars().take(DETAIL_CHARS).collect();
            if e.detail.chars().count() > DETAIL_CHARS {
                detail.push('…');
            }
            let at = fmt::date_time(l, BillingZone::DEFAULT, e.at);
            AuditRow { seq: e.seq, at, actor: e.actor, action: e.action, subject: e.subject, detail }
        })
        .collect();
    Ok(html(&AuditPage { layout: session.layout(&l.t("nav-audit-log"), "/console/operator/audit"), rows }))
}
