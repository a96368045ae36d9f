//! Spark → Workspaces: every workspace with its quota and expiration, and the
//! actions on it (delete = unsubscribe its quota, renew, back up scripts).

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::IntoResponse;
use billing_app::model::{InstanceRecord, InstanceState, Workspace, WorkspaceStatus};
use billing_app::{AppResult, Billing, Caller};
use billing_domain::calendar::{BillingPeriod, BillingZone};
use billing_domain::catalog::Commodity;

use crate::auth::Customer;
use crate::fmt;
use crate::page::{Layout, PageResult, html};
use crate::state::ConsoleState;
use crate::words;

/// One row of the workspace table.
struct WorkspaceRow {
    id: String,
    name: String,
    region: String,
    status: &'static str,
    billing: &'static str,
    quota_cu: String,
    quota_id: Option<String>,
    expiration: String,
    can_renew: bool,
    /// The quota can be downgraded or switched to pay-as-you-go.
    can_change: bool,
}

#[derive(Template)]
#[template(path = "workspaces.html")]
struct WorkspacesPage {
    layout: Layout,
    rows: Vec<WorkspaceRow>,
}

/// The quota of `workspace_id` among `instances`: the active one, else the
/// newest that was ever paid.
pub fn quota_of<'a>(instances: &'a [InstanceRecord], workspace_id: &str) -> Option<&'a InstanceRecord> {
    let quotas = instances
        .iter()
        .filter(|i| i.commodity == Commodity::SparkReserved && i.workspace_id.as_deref() == Some(workspace_id));
    let mut paid = quotas.filter(|i| !matches!(i.state, InstanceState::Cancelled | InstanceState::PendingPayment));
    let first = paid.next()?;
    Some(if first.state == InstanceState::Active {
        first
    } else {
        paid.find(|i| i.state == InstanceState::Active).unwrap_or(first)
    })
}

/// The last paid period of a quota, if any.
pub async fn last_period(billing: &Billing, caller: &Caller, quota_id: &str) -> AppResult<Option<BillingPeriod>> {
    let (_, periods) = billing.quota_timeline(caller, quota_id).await?;
    Ok(periods.last().map(|(_, p)| *p))
}

async fn row(
    billing: &Billing,
    caller: &Caller,
    w: Workspace,
    instances: &[InstanceRecord],
    zone: BillingZone,
) -> AppResult<WorkspaceRow> {
    let quota = quota_of(instances, &w.id);
    let (quota_cu, expiration) = match quota {
        Some(q) => {
            let end = last_period(billing, caller, &q.id).await?;
            let date = end.map_or_else(|| "—".to_owned(), |p| fmt::date_time(zone, p.end));
            let expiration = if q.state == InstanceState::Active {
                date
            } else {
                format!("{date} ({})", words::instance_state(q.state).to_lowercase())
            };
            (q.quota_cu.map_or_else(|| "—".to_owned(), |cu| format!("{cu} CU")), expiration)
        }
        None => ("—".to_owned(), "—".to_owned()),
    };
    Ok(WorkspaceRow {
        can_renew: quota.is_some_and(|q| q.state == InstanceState::Active),
        can_change: quota.is_some_and(|q| q.state == InstanceState::Active),
        quota_id: quota.map(|q| q.id.clone()),
        id: w.id,
        name: w.name,
        region: w.region_id,
        status: match w.status {
            WorkspaceStatus::Active => "Active",
            WorkspaceStatus::Deleted => "Deleted",
        },
        billing: words::billing_method(w.billing_method),
        quota_cu,
        expiration,
    })
}

/// What `?deleted=<id>` reports: the workspace just deleted without a refund.
async fn deleted_notice(billing: &Billing, caller: &Caller, query: Option<&str>) -> AppResult<Option<String>> {
    let query = crate::forms::FormData::query(query);
    let id = query.text("deleted");
    if id.is_empty() {
        return Ok(None);
    }
    let t = billing.deleted_workspace(caller, id).await?;
    let plural = |n: i64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    Ok(Some(format!(
        "Workspace {} was deleted with {} and {}. Nothing was refunded.",
        t.name,
        plural(t.jobs, "job"),
        plural(t.data_objects, "data object")
    )))
}

/// `GET /console/workspaces`.
pub async fn list(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    RawQuery(query): RawQuery,
) -> PageResult {
    let billing = &state.billing;
    let load = async {
        let workspaces = billing.workspaces(&session.caller, session.account_id()).await?;
        let instances = billing.instances(&session.caller, None).await?;
        let mut rows = Vec::with_capacity(workspaces.len());
        let zone = session.zone(billing).await?;
        for w in workspaces {
            rows.push(row(billing, &session.caller, w, &instances, zone).await?);
        }
        let notice = deleted_notice(billing, &session.caller, query.as_deref()).await?;
        AppResult::Ok((rows, notice))
    };
    let (rows, notice) = load.await.map_err(|e| session.fail(e))?;
    let layout = session.layout("Workspaces", "/console/workspaces").with_notice(notice);
    Ok(html(&WorkspacesPage { layout, rows }))
}

/// `GET /console/workspaces/{id}/backup`: the job scripts as a download.
pub async fn backup(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    Path(id): Path<String>,
) -> PageResult {
    let backup = state.billing.backup_workspace(&session.caller, &id).await.map_err(|e| session.fail(e))?;
    let disposition = format!("attachment; filename=\"{}\"", backup.file_name);
    Ok((
        [(header::CONTENT_TYPE, "application/gzip".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        backup.bytes,
    )
        .into_response())
}
