//! Quotes and unsubscriptions: the heart of the API.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use billing_app::unsubscription::Confirmation;
use billing_app::unsubscription::facts::Question;
use billing_app::views::UnsubscriptionView;
use billing_domain::change::ActionKind;
use billing_domain::ids::UnsubscriptionId;

use crate::ApiState;
use crate::dto::{QuotaChangeRequest, QuoteDto, QuoteRequest, UnsubscribeRequest, UnsubscriptionDto};
use crate::extract::{Authed, Body, IdempotencyKey, Path};
use crate::problem::{ApiError, ApiResult, Problem};

/// Quote giving back an instance (or one pending renewal of a quota),
/// downgrading a quota to fewer CUs, or switching it to pay-as-you-go. The
/// quote is binding until `expires_at` unless what it was computed from
/// changes; a not-eligible quote says why in `reason`.
#[utoipa::path(post, path = "/api/v1/quotes", tag = "unsubscription",
    request_body = QuoteRequest,
    responses(
        (status = 200, description = "The quote", body = QuoteDto),
        (status = 400, description = "Malformed request", body = Problem),
        (status = 404, description = "No such instance in this account", body = Problem),
        (status = 422, description = "The order is not a pending renewal, or the action and `new_quota_cu` do not fit", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn create_quote(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Body(request): Body<QuoteRequest>,
) -> ApiResult<Response> {
    // The body has `QuoteDto`'s shape: the API's tests and the schema check
    // in CI hold it to that.
    let action = match request.action.as_deref() {
        None => ActionKind::Unsubscribe,
        Some(name) => name.parse().map_err(|message: String| ApiError::invalid("action", message))?,
    };
    let question = Question { action, order_id: request.order_id.as_ref(), new_quota_cu: request.new_quota_cu };
    let view = state.billing.unsubscriptions().quote_action(&caller, &request.instance_id, &question).await?;
    Ok(Json(view.body()).into_response())
}

/// Execute the quote of a downgrade or of a switch to pay-as-you-go: the
/// removed share of the prepaid cash goes back where it came from and the
/// quota keeps fewer CUs (or ends, its workspace billed by the hour) from
/// the next clock hour — all at once or not at all. The workspace, its jobs
/// and its data stay. Repeating the request with the same `Idempotency-Key`
/// returns the first result.
#[utoipa::path(post, path = "/api/v1/quota-changes", tag = "unsubscription",
    request_body = QuotaChangeRequest,
    params(("Idempotency-Key" = String, Header, description = "Repeats with the same key return the first result")),
    responses(
        (status = 201, description = "Changed", body = UnsubscriptionDto),
        (status = 200, description = "The first result of a repeated request", body = UnsubscriptionDto, headers(("Idempotent-Replayed" = String, description = "`true`: this is the stored first answer"))),
        (status = 400, description = "Malformed request", body = Problem),
        (status = 404, description = "No such quote in this account", body = Problem),
        (status = 409, description = "The quote is stale, or the key was used for another request", body = Problem),
        (status = 422, description = "Not eligible, or the quote is for an unsubscription", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn create_quota_change(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    IdempotencyKey(key): IdempotencyKey,
    Body(request): Body<QuotaChangeRequest>,
) -> ApiResult<(StatusCode, crate::routes::Replayed, Json<UnsubscriptionDto>)> {
    let quote_id = crate::extract::id("quote_id", &request.quote_id)?;
    let confirmation = Confirmation { quote_id, idempotency_key: key, confirm_workspace_deletion: None };
    let result = state.billing.unsubscriptions().confirm_quota_change(&caller, &confirmation).await?;
    let status = if result.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((
        status,
        crate::routes::Replayed(result.replayed),
        Json(UnsubscriptionDto::from(UnsubscriptionView::from(&result))),
    ))
}

/// Execute a quote: refunds go out, a quota's workspace is deleted for good,
/// a plan is released — all at once or not at all. Repeating the request
/// with the same `Idempotency-Key` returns the first result.
#[utoipa::path(post, path = "/api/v1/unsubscriptions", tag = "unsubscription",
    request_body = UnsubscribeRequest,
    params(("Idempotency-Key" = String, Header, description = "Repeats with the same key return the first result")),
    responses(
        (status = 201, description = "Unsubscribed", body = UnsubscriptionDto),
        (status = 200, description = "The first result of a repeated request", body = UnsubscriptionDto, headers(("Idempotent-Replayed" = String, description = "`true`: this is the stored first answer"))),
        (status = 400, description = "Malformed request", body = Problem),
        (status = 404, description = "No such quote in this account", body = Problem),
        (status = 409, description = "The quote is stale, or the key was used for another request", body = Problem),
        (status = 422, description = "Not eligible, or the workspace name does not match", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn create_unsubscription(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    IdempotencyKey(key): IdempotencyKey,
    Body(request): Body<UnsubscribeRequest>,
) -> ApiResult<(StatusCode, crate::routes::Replayed, Json<UnsubscriptionDto>)> {
    let confirmation = Confirmation {
        quote_id: crate::extract::id("quote_id", &request.quote_id)?,
        idempotency_key: key,
        confirm_workspace_deletion: request.confirm_workspace_deletion,
    };
    let result = state.billing.unsubscriptions().confirm_unsubscription(&caller, &confirmation).await?;
    let status = if result.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((
        status,
        crate::routes::Replayed(result.replayed),
        Json(UnsubscriptionDto::from(UnsubscriptionView::from(&result))),
    ))
}

/// One unsubscription with its refunds as they are now.
#[utoipa::path(get, path = "/api/v1/unsubscriptions/{id}", tag = "unsubscription",
    params(("id" = String, Path, description = "Unsubscription id")),
    responses(
        (status = 200, description = "The unsubscription", body = UnsubscriptionDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such unsubscription in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn get_unsubscription(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<UnsubscriptionId>,
) -> ApiResult<Json<UnsubscriptionDto>> {
    let result = state.billing.unsubscriptions().unsubscription_result(&caller, &id, false).await?;
    Ok(Json(UnsubscriptionDto::from(UnsubscriptionView::from(&result))))
}
