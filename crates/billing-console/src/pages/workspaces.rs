//! Spark → Workspaces: every workspace with its quota and expiration, and the
//! actions on it (delete = unsubscribe its quota, renew, back up scripts).

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::IntoResponse;
use billing_app::model::{InstanceRecord, InstanceState, Workspace};
use billing_app::{AppResult, Billing, Caller};
use billing_domain::calendar::{BillingPeriod, BillingZone};
use billing_domain::catalog::Commodity;
use billing_domain::ids::{InstanceId, WorkspaceId};

use crate::auth::Customer;
use crate::fmt;
use crate::i18n::Locale;
use crate::page::{Layout, PageResult, html, parse_id};
use crate::state::ConsoleState;
use crate::words;

/// One row of the workspace table.
struct WorkspaceRow {
    id: String,
    name: String,
    region: String,
    status: String,
    billing: String,
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
pub async fn last_period(
    billing: &Billing,
    caller: &Caller,
    quota_id: &InstanceId,
) -> AppResult<Option<BillingPeriod>> {
    let (_, periods) = billing.purchases().quota_timeline(caller, quota_id).await?;
    Ok(periods.last().map(|(_, p)| *p))
}

async fn row(
    billing: &Billing,
    caller: &Caller,
    w: Workspace,
    instances: &[InstanceRecord],
    zone: BillingZone,
    l: Locale,
) -> AppResult<WorkspaceRow> {
    let quota = quota_of(instances, &w.id);
    let (quota_cu, expiration) = match quota {
        Some(q) => {
            let end = last_period(billing, caller, &q.id).await?;
            let date = end.map_or_else(|| "—".to_owned(), |p| fmt::date_time(l, zone, p.end));
            let expiration = if q.state == InstanceState::Active {
                date
            } else {
                format!("{date} ({})", words::instance_state(l, q.state).to_lowercase())
            };
            (q.quota_cu.map_or_else(|| "—".to_owned(), |cu| l.t1("cu-count", "cu", cu)), expiration)
        }
        None => ("—".to_owned(), "—".to_owned()),
    };
    Ok(WorkspaceRow {
        can_renew: quota.is_some_and(|q| q.state == InstanceState::Active),
        can_change: quota.is_some_and(|q| q.state == InstanceState::Active),
        quota_id: quota.map(|q| q.id.to_string()),
        id: w.id.into_string(),
        name: w.name,
        region: w.region_id,
        status: words::workspace_status(l, w.status),
        billing: words::billing_method(l, w.billing_method),
        quota_cu,
        expiration,
    })
}

/// What `?deleted=<id>` reports: the workspace just deleted without a refund.
async fn deleted_notice(
    billing: &Billing,
    caller: &Caller,
    query: Option<&str>,
    l: Locale,
) -> AppResult<Option<String>> {
    let query = crate::forms::FormData::query(query);
    let id = query.text("deleted");
    if id.is_empty() {
        return Ok(None);
    }
    let id: WorkspaceId = parse_id(id)?;
    let t = billing.unsubscriptions().deleted_workspace(caller, &id).await?;
    let args = [("name", t.name.into()), ("jobs", t.jobs.into()), ("objects", t.data_objects.into())];
    Ok(Some(l.t_args("workspaces-deleted-notice", &args)))
}

/// `GET /console/workspaces`.
pub async fn list(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    RawQuery(query): RawQuery,
) -> PageResult {
    let billing = &state.billing;
    let l = session.locale;
    let load = async {
        let workspaces = billing.accounts().workspaces(&session.caller, session.account_id()?).await?;
        let instances = billing.purchases().instances(&session.caller, None).await?;
        let mut rows = Vec::with_capacity(workspaces.len());
        let zone = session.zone(billing).await?;
        for w in workspaces {
            rows.push(row(billing, &session.caller, w, &instances, zone, l).await?);
        }
        let notice = deleted_notice(billing, &session.caller, query.as_deref(), l).await?;
        AppResult::Ok((rows, notice))
    };
    let (rows, notice) = load.await.map_err(|e| session.fail(e))?;
    let layout = session.layout(&l.t("nav-workspaces"), "/console/workspaces").with_notice(notice);
    Ok(html(&WorkspacesPage { layout, rows }))
}

/// `GET /console/workspaces/{id}/backup`: the job scripts as a download.
pub async fn backup(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    Path(id): Path<String>,
) -> PageResult {
    let id: WorkspaceId = parse_id(&id).map_err(|e| session.fail(e))?;
    let backup =
        state.billing.unsubscriptions().backup_workspace(&session.caller, &id).await.map_err(|e| session.fail(e))?;
    let disposition = format!("attachment; filename=\"{}\"", backup.file_name);
    Ok((
        [(header::CONTENT_TYPE, "application/gzip".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        backup.bytes,
    )
        .into_response())
}
