//! Integrity checks and the audit trail (operators only): the ledger
//! balances, the audit chain verifies, and every event can be read.

use axum::Json;
use axum::extract::State;
use billing_app::directory::{AuditFilter, AuditOrder};
use billing_app::model::AuditEvent;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::dto::{PageParams, instant, parse_instant};
use crate::extract::{Authed, Query};
use crate::problem::{ApiError, ApiResult, Problem};

/// What the ledger check found.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerReportDto {
    /// True when nothing is wrong.
    pub ok: bool,
    /// Movements checked.
    pub movements: usize,
    /// Entries checked.
    pub entries: usize,
    /// Every problem found, one sentence each.
    pub problems: Vec<String>,
}

/// What the audit verification found.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditReportDto {
    /// True when the whole chain verifies.
    pub ok: bool,
    /// Events verified.
    pub events: u64,
    /// The first problem found.
    pub problem: Option<String>,
}

/// One event of the audit trail.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEventDto {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When.
    pub at: String,
    /// Who: an account id, `operator` or `system`.
    pub actor: String,
    /// What, e.g. `order.paid`.
    pub action: String,
    /// Which thing.
    pub subject: String,
    /// Details as compact JSON, exactly as hashed.
    pub detail: String,
    /// Hash of the previous event (hex), empty for the first.
    pub prev_hash: String,
    /// Hash of this event (hex).
    pub hash: String,
}

impl From<&AuditEvent> for AuditEventDto {
    fn from(e: &AuditEvent) -> Self {
        AuditEventDto {
            seq: e.seq,
            at: instant(e.at),
            actor: e.actor.clone(),
            action: e.action.clone(),
            subject: e.subject.clone(),
            detail: e.detail.clone(),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        }
    }
}

/// A page of the audit trail.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only events after this sequence number (0, the default, starts at the first).
    #[param(nullable = false, minimum = 0)]
    pub after: Option<i64>,
    /// At most this many (1 to 100).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Only events by this actor: an account id, `operator` or `system`.
    #[param(nullable = false, max_length = 100)]
    pub actor: Option<String>,
    /// Only events about this account or anything it owns (its instances,
    /// orders, payment methods, refunds, workspaces…), or done by it.
    #[param(nullable = false, max_length = 100)]
    pub account_id: Option<String>,
    /// Only events of this type, e.g. `order.paid`.
    #[param(nullable = false, max_length = 100)]
    pub action: Option<String>,
    /// Only events at or after this instant (RFC 3339).
    #[param(nullable = false)]
    pub from: Option<String>,
    /// Only events before this instant (RFC 3339).
    #[param(nullable = false)]
    pub to: Option<String>,
}

/// Check that every ledger movement balances, and that balances and plan
/// capacities agree with their ledger accounts.
#[utoipa::path(get, path = "/api/v1/ledger/check", tag = "integrity",
    responses(
        (status = 200, description = "The report; `ok` is false when anything is wrong", body = LedgerReportDto),
        (status = 403, description = "Not an operator key", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn ledger_check(State(state): State<ApiState>, authed: Authed) -> ApiResult<Json<LedgerReportDto>> {
    let report = state.billing.operations().ledger_check(authed.operator()?).await?;
    Ok(Json(LedgerReportDto {
        ok: report.ok(),
        movements: report.movements,
        entries: report.entries,
        problems: report.problems,
    }))
}

/// Audit events in chain order, a page at a time: pass the last `seq` seen
/// as `after` for the next page. Filters narrow the events by actor,
/// account, type and time; paging works the same with them.
#[utoipa::path(get, path = "/api/v1/audit", tag = "integrity",
    params(AuditQuery),
    responses(
        (status = 200, description = "The events", body = [AuditEventDto]),
        (status = 400, description = "Bad `after`, page size or filter", body = Problem),
        (status = 403, description = "Not an operator key", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_audit(
    State(state): State<ApiState>,
    authed: Authed,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEventDto>>> {
    let caller = authed.operator()?;
    let after = query.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::invalid("after", "must not be negative"));
    }
    let limit = PageParams { limit: query.limit }.limit()?;
    let filter = AuditFilter {
        actor: query.actor,
        account_id: query.account_id,
        action: query.action,
        from: query.from.as_deref().map(|t| parse_instant("from", t)).transpose()?,
        to: query.to.as_deref().map(|t| parse_instant("to", t)).transpose()?,
        order: AuditOrder::After(after),
        limit,
    };
    let events = state.billing.operations().audit_search(caller, &filter).await.map_err(crate::routes::query_error)?;
    Ok(Json(events.iter().map(AuditEventDto::from).collect()))
}

/// Walk the audit chain from the first event to the head and report the
/// first event that does not verify.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "integrity",
    responses(
        (status = 200, description = "The report; `ok` is false when the chain is broken", body = AuditReportDto),
        (status = 403, description = "Not an operator key", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn verify_audit(State(state): State<ApiState>, authed: Authed) -> ApiResult<Json<AuditReportDto>> {
    let report = state.billing.operations().audit_verify(authed.operator()?).await?;
    Ok(Json(AuditReportDto { ok: report.problem.is_none(), events: report.events, problem: report.problem }))
}
