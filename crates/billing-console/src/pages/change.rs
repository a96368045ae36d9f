//! Changing a quota while keeping its workspace: "Change reserved CUs" (a
//! downgrade) and "Switch to pay-as-you-go", each reviewed with the itemized
//! quote, what stays, where the money goes, and confirmed at once.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use billing_app::AppError;
use billing_app::model::InstanceRecord;
use billing_app::unsubscription::Confirmation;
use billing_app::unsubscription::facts::Question;
use billing_domain::change::ActionKind;
use billing_domain::ids::{InstanceId, QuoteId};

use super::review_view::{DestinationView, LineView, review_page, subject};
use crate::auth::{Customer, Session};
use crate::forms::FormData;
use crate::page::{Layout, PageResult, html, parse_id, see_other};
use crate::state::ConsoleState;
use crate::{fmt, words};

const MENU: &str = "/console/workspaces";

/// The review of a downgrade or of a switch.
#[derive(Template)]
#[template(path = "change.html")]
pub struct ChangePage {
    layout: Layout,
    downgrade: bool,
    instance_id: String,
    subject: String,
    workspace_name: String,
    quota_cu: u32,
    min_quota_cu: u32,
    new_quota_cu: Option<u32>,
    effective_from: String,
    eligible: bool,
    reason_code: &'static str,
    reason_message: String,
    quote_id: String,
    valid_until: String,
    lines: Vec<LineView>,
    refund: String,
    destinations: Vec<DestinationView>,
    idempotency_key: String,
    error: Option<String>,
}

/// The CUs asked for in `?cu=N`, if any; a value that is not a number is
/// kept as none, and the form asks again.
fn cu_of(query: Option<&str>) -> Option<u32> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "cu")
        .and_then(|(_, v)| v.trim().parse().ok())
}

async fn render(
    state: &ConsoleState,
    session: &Session,
    instance_id: &InstanceId,
    question: Question<'_>,
    error: Option<String>,
) -> Result<ChangePage, AppError> {
    let billing = &state.billing;
    let l = session.locale;
    let record: InstanceRecord = billing.purchases().instance(&session.caller, instance_id).await?;
    let region = billing.operations().region(&record.region_id).await?;
    let workspace_name = match record.workspace_id.as_ref() {
        Some(ws) => billing
            .accounts()
            .workspace_details(&session.caller, ws)
            .await
            .map(|d| d.workspace.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let downgrade = question.action == ActionKind::Downgrade;
    let title = l.t(if downgrade { "action-change-cu" } else { "action-switch" });
    let layout = session.layout(&title, MENU);
    let mut page = ChangePage {
        layout,
        downgrade,
        instance_id: record.id.to_string(),
        subject: subject(billing, &session.caller, &record, session.locale).await,
        workspace_name,
        quota_cu: record.quota_cu.unwrap_or(0),
        min_quota_cu: region.min_quota_cu,
        new_quota_cu: question.new_quota_cu,
        effective_from: String::new(),
        eligible: false,
        reason_code: "",
        reason_message: String::new(),
        quote_id: String::new(),
        valid_until: String::new(),
        lines: Vec::new(),
        refund: String::new(),
        destinations: Vec::new(),
        idempotency_key: String::new(),
        error,
    };
    // A downgrade is quoted once the customer has said how many CUs stay.
    if downgrade && question.new_quota_cu.is_none() {
        return Ok(page);
    }
    let view = billing.unsubscriptions().quote_action(&session.caller, instance_id, &question).await?;
    let review = review_page(billing, page.layout.clone(), &session.caller, &record, &view).await?;
    let next_hour = billing_app::unsubscription::confirm::next_hour(view.stored.created_at)?;
    page.effective_from = fmt::date_time(l, view.zone, next_hour);
    page.eligible = review.eligible;
    page.reason_code = review.reason_code;
    page.reason_message = review.reason_message;
    page.quote_id = review.quote_id;
    page.valid_until = review.valid_until;
    page.lines = review.lines;
    page.refund = review.refund;
    page.destinations = review.destinations;
    page.idempotency_key = review.idempotency_key;
    Ok(page)
}

fn with_status(page: &ChangePage, status: StatusCode) -> Response {
    let mut response = html(page);
    *response.status_mut() = status;
    response
}

/// `GET /console/instances/{id}/downgrade[?cu=N]`: asks how many CUs stay,
/// then shows the review.
pub async fn downgrade(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let id: InstanceId = parse_id(&id).map_err(|e| session.fail(e))?;
    let question = Question { action: ActionKind::Downgrade, order_id: None, new_quota_cu: cu_of(query.as_deref()) };
    let page = render(&state, &session, &id, question, None).await.map_err(|e| session.fail(e))?;
    Ok(html(&page))
}

/// `GET /console/instances/{id}/switch`: the review of a switch.
pub async fn switch(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    Path(id): Path<String>,
) -> PageResult {
    let id: InstanceId = parse_id(&id).map_err(|e| session.fail(e))?;
    let question = Question { action: ActionKind::SwitchToPayAsYouGo, order_id: None, new_quota_cu: None };
    let page = render(&state, &session, &id, question, None).await.map_err(|e| session.fail(e))?;
    Ok(html(&page))
}

/// `POST /console/quotes/{id}/change`: executes the quote, or shows the
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
    let question = Question { action: stored.action, order_id: None, new_quota_cu: stored.new_quota_cu };
    let again = |message: String, status: StatusCode| {
        let (state, session, instance_id) = (&state, &session, stored.instance_id.clone());
        async move {
            let page =
                render(state, session, &instance_id, question, Some(message)).await.map_err(|e| session.fail(e))?;
            PageResult::Ok(with_status(&page, status))
        }
    };
    if form.text("terms") != "accepted" {
        let message = session.locale.t("change-terms-not-accepted");
        return again(message, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if stored.action == ActionKind::SwitchToPayAsYouGo {
        let record =
            billing.purchases().instance(&session.caller, &stored.instance_id).await.map_err(|e| session.fail(e))?;
        let workspace = match record.workspace_id.as_ref() {
            Some(ws) => billing.accounts().workspace_details(&session.caller, ws).await.map(|d| d.workspace.name).ok(),
            None => None,
        };
        if workspace.as_deref().is_some_and(|name| name != form.text("confirm_name")) {
            let message = session.locale.t("change-name-mismatch");
            return again(message, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    }
    let confirmation = Confirmation {
        quote_id: quote_id.clone(),
        idempotency_key: form.text("idempotency_key").to_owned(),
        confirm_workspace_deletion: None,
    };
    match billing.unsubscriptions().confirm_quota_change(&session.caller, &confirmation).await {
        Ok(result) => Ok(see_other(&format!("/console/unsubscriptions/{}", result.unsubscription.id))),
        Err(e @ (AppError::QuoteStale { .. } | AppError::NotEligible { .. })) => {
            let status = crate::page::status_of(&e);
            let message = match session.locale {
                crate::i18n::Locale::EnUs => crate::fmt::sentence(&e.to_string()),
                l => crate::page::error_message(l, e.code()),
            };
            again(message, status).await
        }
        Err(e) => Err(session.fail(e)),
    }
}

/// The words for a change's state on the done page.
pub fn done_heading(
    l: crate::i18n::Locale,
    action: billing_app::unsubscription::records::RefundCause,
    cu: Option<u32>,
) -> String {
    use billing_app::unsubscription::records::RefundCause;
    match (action, cu) {
        (RefundCause::Downgrade, Some(cu)) => l.t1("done-cu-changed", "cu", cu),
        (RefundCause::SwitchToPayAsYouGo, _) => l.t("done-switched"),
        (RefundCause::ActivationFailed, _) => {
            words::instance_state(l, billing_app::model::InstanceState::ActivationFailed)
        }
        _ => l.t("done-unsubscribed"),
    }
}
