//! Deleting a workspace that has nothing to refund (pay-as-you-go, or its
//! quota ended or refunds nothing): what goes, a backup offer, the name typed
//! to confirm, no refund. A workspace whose quota can still be refunded is
//! sent to the review of that quota's unsubscription instead.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use billing_app::AppError;
use billing_app::model::BillingMethod;
use billing_app::workspace_deletion::{DeletionPreview, WorkspaceDeletion};
use billing_domain::ids::WorkspaceId;
use billing_domain::reason::ReasonCode;

use super::review;
use crate::auth::{Customer, Session};
use crate::forms::FormData;
use crate::i18n::Locale;
use crate::page::{Layout, PageResult, html, parse_id, see_other};
use crate::state::ConsoleState;

#[derive(Template)]
#[template(path = "delete_workspace.html")]
struct DeletePage {
    layout: Layout,
    workspace_id: String,
    name: String,
    why: String,
    /// What goes with it, in a sentence.
    warning: String,
    idempotency_key: String,
    typed: String,
    error: Option<String>,
}

/// Why deleting this workspace refunds nothing, in words.
fn why(l: Locale, preview: &DeletionPreview) -> String {
    match &preview.quota {
        None if preview.workspace.billing_method == BillingMethod::PayAsYouGo => l.t("delete-why-pay-as-you-go"),
        None => l.t("delete-why-no-quota"),
        Some(q) if q.reason == Some(ReasonCode::Expired) => l.t1("delete-why-expired", "cu", cu(l, q)),
        Some(q) => {
            let reason = match (l, q.reason) {
                // The English sentence is folded into this one.
                (Locale::EnUs, _) => {
                    let reason = q.reason_message.unwrap_or("it refunds nothing.");
                    let reason = reason.strip_prefix("Nothing would come back: ").unwrap_or(reason);
                    let mut chars = reason.chars();
                    chars.next().map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
                }
                (_, Some(r)) => crate::words::reason_message(l, r),
                (_, None) => l.t("delete-refunds-nothing"),
            };
            l.t2("delete-why-other", "cu", cu(l, q), "reason", reason)
        }
    }
}

fn cu(l: Locale, q: &billing_app::workspace_deletion::EndingQuota) -> String {
    q.instance.quota_cu.map_or_else(|| l.t("delete-prepaid"), |cu| l.t1("cu-count", "cu", cu))
}

fn page(session: &Session, preview: DeletionPreview, typed: &str, error: Option<String>) -> DeletePage {
    let l = session.locale;
    DeletePage {
        layout: session.layout(&l.t("delete-title"), "/console/workspaces"),
        why: why(l, &preview),
        workspace_id: preview.workspace.id.into_string(),
        name: preview.workspace.name,
        warning: l.t_args(
            "delete-warning",
            &[
                ("jobs", preview.deletes.jobs.into()),
                ("objects", preview.deletes.data_objects.into()),
                ("queues", preview.deletes.queues.into()),
            ],
        ),
        idempotency_key: format!("console-{}", uuid::Uuid::new_v4().simple()),
        typed: typed.to_owned(),
        error,
    }
}

/// `GET /console/workspaces/{id}/delete`: the deletion without refund, or
/// the review of the quota's unsubscription when it can still be refunded.
pub async fn form(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    Path(id): Path<String>,
) -> PageResult {
    let id: WorkspaceId = parse_id(&id).map_err(|e| session.fail(e))?;
    match state.billing.unsubscriptions().workspace_deletion_preview(&session.caller, &id).await {
        Ok(preview) => Ok(html(&page(&session, preview, "", None))),
        Err(AppError::QuotaRefundable { instance_id }) => review::quota_review(&state, &session, &instance_id).await,
        Err(e) => Err(session.fail(e)),
    }
}

/// `POST /console/workspaces/{id}/delete`: deletes it, or shows the form
/// again with what was wrong.
pub async fn submit(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let id: WorkspaceId = parse_id(&id).map_err(|e| session.fail(e))?;
    let form = FormData::parse(&body);
    let typed = form.text("confirm_name");
    let error = if form.text("terms") == "accepted" {
        let deletion = WorkspaceDeletion {
            workspace_id: id.clone(),
            confirm_workspace_deletion: typed.to_owned(),
            idempotency_key: form.text("idempotency_key").to_owned(),
        };
        match state.billing.unsubscriptions().delete_workspace(&session.caller, &deletion).await {
            Ok(done) => return Ok(see_other(&format!("/console/workspaces?deleted={}", done.tombstone.workspace_id))),
            Err(AppError::ConfirmationMismatch { expected }) => {
                session.locale.t1("review-name-mismatch", "name", expected)
            }
            Err(AppError::QuotaRefundable { .. }) => return Ok(see_other(&format!("/console/workspaces/{id}/delete"))),
            Err(e) => return Err(session.fail(e)),
        }
    } else {
        session.locale.t("delete-terms-not-accepted")
    };
    let preview = state
        .billing
        .unsubscriptions()
        .workspace_deletion_preview(&session.caller, &id)
        .await
        .map_err(|e| session.fail(e))?;
    let mut response = html(&page(&session, preview, typed, Some(error)));
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}
