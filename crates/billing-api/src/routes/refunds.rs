//! Refunds: listing, one refund, and an operator's retry.

use axum::Json;
use axum::extract::State;
use billing_app::unsubscription::records::{RefundFilter, RefundStatus};
use billing_app::views::RefundView;
use billing_domain::ids::RefundId;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::ApiState;
use crate::dto::{PageParams, RefundDto};
use crate::extract::{Authed, Path, Query, opt_account_id};
use crate::problem::{ApiError, ApiResult, Problem};

/// Filters of the refund list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RefundQuery {
    /// `pending`, `succeeded` or `failed`.
    #[param(nullable = false)]
    pub status: Option<String>,
    /// Only this account's (operators; customers always see their own).
    #[param(nullable = false)]
    pub account_id: Option<String>,
    /// At most this many (1 to 100).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The next page: refunds listed after this one (the last refund of the
    /// previous page).
    #[param(nullable = false)]
    pub starting_after: Option<String>,
}

/// Refunds, newest first.
#[utoipa::path(get, path = "/api/v1/refunds", tag = "refunds",
    params(RefundQuery),
    responses(
        (status = 200, description = "The refunds", body = [RefundDto]),
        (status = 400, description = "Bad filter, or `starting_after` is not a refund of this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_refunds(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Query(query): Query<RefundQuery>,
) -> ApiResult<Json<Vec<RefundDto>>> {
    let status = match query.status.as_deref() {
        None => None,
        Some(s) => Some(
            RefundStatus::ALL
                .into_iter()
                .find(|v| v.as_str() == s)
                .ok_or_else(|| ApiError::invalid("status", "must be pending, succeeded or failed"))?,
        ),
    };
    let limit = PageParams { limit: query.limit }.limit()?;
    let filter = RefundFilter {
        account_id: opt_account_id("account_id", query.account_id.as_deref())?,
        status,
        limit,
        starting_after: query.starting_after,
        ..RefundFilter::default()
    };
    let refunds =
        state.billing.unsubscriptions().refunds(&caller, filter).await.map_err(crate::routes::cursor_error)?;
    Ok(Json(refunds.iter().map(RefundView::from).map(RefundDto::from).collect()))
}

/// One refund and its status.
#[utoipa::path(get, path = "/api/v1/refunds/{id}", tag = "refunds",
    params(("id" = String, Path, description = "Refund id")),
    responses(
        (status = 200, description = "The refund", body = RefundDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such refund in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn get_refund(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<RefundId>,
) -> ApiResult<Json<RefundDto>> {
    let refund = state.billing.unsubscriptions().refund(&caller, &id).await?;
    Ok(Json(RefundDto::from(RefundView::from(&refund))))
}

/// Make a stuck pending refund claimable by a worker again at once
/// (operators only).
#[utoipa::path(post, path = "/api/v1/refunds/{id}/retry", tag = "refunds",
    params(("id" = String, Path, description = "Refund id")),
    responses(
        (status = 200, description = "The refund", body = RefundDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 403, description = "Not an operator key", body = Problem),
        (status = 404, description = "No such refund", body = Problem),
        (status = 422, description = "The refund is not pending", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn retry_refund(
    State(state): State<ApiState>,
    authed: Authed,
    Path(id): Path<RefundId>,
) -> ApiResult<Json<RefundDto>> {
    let caller = authed.operator()?;
    let refund = state.billing.unsubscriptions().retry_refund(caller, &id).await?;
    Ok(Json(RefundDto::from(RefundView::from(&refund))))
}
