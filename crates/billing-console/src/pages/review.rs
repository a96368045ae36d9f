//! Review and confirm: the itemized quote of an instance (or of a workspace's
//! quota, when the workspace is deleted), and the Unsubscribe button that
//! executes exactly that quote.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use billing_app::AppError;
use billing_app::unsubscription::Confirmation;
use billing_domain::ids::{InstanceId, QuoteId};

use super::review_view::{ReviewPage, review_page};
use crate::auth::{Customer, Session};
use crate::forms::FormData;
use crate::page::{PageResult, html, parse_id, see_other};
use crate::state::ConsoleState;

const MENU: &str = "/console/unsubscribe";

/// Quotes `instance_id` afresh and renders the review, with `error` shown
/// above the form.
async fn render(
    state: &ConsoleState,
    session: &Session,
    instance_id: &InstanceId,
    error: Option<(String, String)>,
) -> Result<ReviewPage, AppError> {
    let billing = &state.billing;
    let record = billing.purchases().instance(&session.caller, instance_id).await?;
    let view = billing.unsubscriptions().quote_unsubscription(&session.caller, instance_id, None).await?;
    let mut page =
        review_page(billing, session.layout(&session.locale.t("review-title"), MENU), &session.caller, &record, &view)
            .await?;
    page.error = error;
    Ok(page)
}

/// The review again, freshly quoted, with what was wrong.
async fn again(
    state: &ConsoleState,
    session: &Session,
    instance_id: &InstanceId,
    message: (String, String),
    status: StatusCode,
) -> PageResult {
    let page = render(state, session, instance_id, Some(message)).await.map_err(|e| session.fail(e))?;
    Ok(with_status(&page, status))
}

fn with_status(page: &ReviewPage, status: StatusCode) -> Response {
    let mut response = html(page);
    *response.status_mut() = status;
    response
}

/// `GET /console/instances/{id}/unsubscribe`: the review of one instance.
pub async fn instance(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    Path(id): Path<String>,
) -> PageResult {
    let id: InstanceId = parse_id(&id).map_err(|e| session.fail(e))?;
    let page = render(&state, &session, &id, None).await.map_err(|e| session.fail(e))?;
    Ok(html(&page))
}

/// The review of a quota's unsubscription, which deletes its workspace.
pub async fn quota_review(state: &ConsoleState, session: &Session, quota_id: &InstanceId) -> PageResult {
    let page = render(state, session, quota_id, None).await.map_err(|e| session.fail(e))?;
    Ok(html(&page))
}

/// `POST /console/quotes/{id}/confirm`: executes the quote, or shows the
/// review again with what was wrong.
pub async fn confirm(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    Path(quote_id): Path<String>,
    body: Bytes,
) -> PageResult {
    let form = FormData::parse(&body);
    let billing = &state.billing;
    let quote_id: QuoteId = parse_id(&quote_id).map_err(|e| session.fail(e))?;
    let stored =
        billing.unsubscriptions().stored_quote(&session.caller, &quote_id).await.map_err(|e| session.fail(e))?;
    let instance_id = &stored.instance_id;
    if form.text("terms") != "accepted" {
        let error = (session.locale.t("error-terms-not-accepted"), "TERMS_NOT_ACCEPTED".to_owned());
        return again(&state, &session, instance_id, error, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let name = form.text("confirm_name");
    let confirmation = Confirmation {
        quote_id: quote_id.clone(),
        idempotency_key: form.text("idempotency_key").to_owned(),
        confirm_workspace_deletion: (!name.is_empty()).then(|| name.to_owned()),
    };
    match billing.unsubscriptions().confirm_unsubscription(&session.caller, &confirmation).await {
        Ok(result) => Ok(see_other(&format!("/console/unsubscriptions/{}", result.unsubscription.id))),
        Err(e @ (AppError::ConfirmationMismatch { .. } | AppError::QuoteStale { .. })) => {
            let status = crate::page::status_of(&e);
            let message = match &e {
                AppError::ConfirmationMismatch { expected } => {
                    session.locale.t1("review-name-mismatch", "name", expected)
                }
                _ if session.locale != crate::i18n::Locale::EnUs => session.locale.t("error-quote-stale"),
                other => crate::fmt::sentence(&other.to_string()),
            };
            again(&state, &session, instance_id, (message, e.code().to_owned()), status).await
        }
        Err(e) => Err(session.fail(e)),
    }
}
