//! Orders: buying subscription quotas and resource plans, renewing quotas,
//! paying and cancelling orders, and looking them up. Requests that move
//! money take an `Idempotency-Key` and run once per key
//! ([`billing_app::idempotency`]): a repeat answers the first order as it
//! stands now.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use billing_app::idempotency::Once;
use billing_app::purchase::{PlanPurchase, Purchase, QuotaPurchase};
use billing_app::views::{OrderView, PurchaseView};
use billing_domain::ids::{InstanceId, OrderId, WorkspaceId};
use billing_domain::usage::CuHours;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ApiState;
use crate::dto::orders::{benefit_ids, tenders};
use crate::dto::{OrderDto, PurchaseDto, TenderDto};
use crate::extract::{Authed, Body, IdempotencyKey, Path};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::routes::Replayed;

/// A subscription quota to buy.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaOrderRequest {
    /// Buyer; optional with a customer key (its own account).
    #[serde(default)]
    pub account_id: Option<String>,
    /// The workspace the CUs are reserved for (not pay-as-you-go).
    #[schema(value_type = String)]
    pub workspace_id: WorkspaceId,
    /// CUs to reserve (at least the region's minimum).
    pub cu: u32,
    /// Whole months, within the region's range.
    pub months: u32,
    /// Vouchers and coupons to apply (at most 20).
    #[serde(default)]
    pub benefit_ids: Vec<String>,
    /// Cash tenders to pay with now, adding up to the cash due; leave out to
    /// pay later.
    #[serde(default)]
    pub tenders: Option<Vec<TenderDto>>,
    /// Renew automatically 9 days before the end.
    #[serde(default)]
    pub auto_renew: bool,
}

/// A resource plan pack to buy.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanOrderRequest {
    /// Buyer; optional with a customer key (its own account).
    #[serde(default)]
    pub account_id: Option<String>,
    /// Region the CU-hours can be used in.
    pub region_id: String,
    /// CU-hours in the pack: a whole number from 100 to 1000000.
    #[schema(pattern = r"^[0-9]+(\.0{1,3})?$")]
    pub capacity_cu_hours: String,
    /// Validity in months (1 to 12).
    pub months: u32,
    /// Vouchers and coupons to apply (at most 20).
    #[serde(default)]
    pub benefit_ids: Vec<String>,
    /// Cash tenders to pay with now; leave out to pay within the hour.
    #[serde(default)]
    pub tenders: Option<Vec<TenderDto>>,
}

/// A payment of an unpaid order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// Cash tenders adding up to the cash due.
    pub tenders: Vec<TenderDto>,
}

/// A purchase's answer: `201` the first time, `200` with
/// `Idempotent-Replayed` on a repeat of the same request with its key.
pub(crate) fn purchase_answer(done: Once<Purchase>) -> (StatusCode, Replayed, Json<PurchaseDto>) {
    let status = if done.replayed { StatusCode::OK } else { StatusCode::CREATED };
    (status, Replayed(done.replayed), Json(PurchaseDto::from(PurchaseView::from(&done.value))))
}

/// Buy a subscription quota for a workspace; pays it now when tenders are
/// given. Moves money: send an `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/orders/quota", tag = "orders",
    params(("Idempotency-Key" = String, Header, description = "Repeats with the same key return the first result")),
    request_body = QuotaOrderRequest,
    responses(
        (status = 201, description = "Ordered (and paid, with tenders)", body = PurchaseDto),
        (status = 200, description = "The first result of a repeated request", body = PurchaseDto, headers(("Idempotent-Replayed" = String, description = "`true`: this is the stored first answer"))),
        (status = 400, description = "Malformed request, amount or method", body = Problem),
        (status = 402, description = "Overdue account, or the balance does not cover its tender", body = Problem),
        (status = 404, description = "No such account, workspace, benefit or payment method", body = Problem),
        (status = 409, description = "The key was used for another request", body = Problem),
        (status = 422, description = "Too few CUs, months out of range, tenders do not add up, or not allowed now", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn order_quota(
    State(state): State<ApiState>,
    authed: Authed,
    IdempotencyKey(key): IdempotencyKey,
    Body(request): Body<QuotaOrderRequest>,
) -> ApiResult<(StatusCode, Replayed, Json<PurchaseDto>)> {
    let caller = authed.0.clone();
    let account_id = authed.account_or(request.account_id.as_deref())?;
    let benefit_ids = benefit_ids(&request.benefit_ids)?;
    let account = state.billing.accounts().account(&caller, &account_id).await?;
    let tenders = request.tenders.as_deref().map(|t| tenders(account.currency, t)).transpose()?;
    let purchase = QuotaPurchase {
        account_id,
        workspace_id: request.workspace_id,
        cu: request.cu,
        months: request.months,
        benefit_ids,
        tenders,
        auto_renew: request.auto_renew,
    };
    Ok(purchase_answer(state.billing.purchases().buy_quota_once(&caller, &key, &purchase).await?))
}

/// Buy a resource plan pack; pays it now when tenders are given. Moves
/// money: send an `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/orders/plan", tag = "orders",
    params(("Idempotency-Key" = String, Header, description = "Repeats with the same key return the first result")),
    request_body = PlanOrderRequest,
    responses(
        (status = 201, description = "Ordered (and paid, with tenders)", body = PurchaseDto),
        (status = 200, description = "The first result of a repeated request", body = PurchaseDto, headers(("Idempotent-Replayed" = String, description = "`true`: this is the stored first answer"))),
        (status = 400, description = "Malformed request, capacity, amount or method", body = Problem),
        (status = 402, description = "Overdue account, or the balance does not cover its tender", body = Problem),
        (status = 404, description = "No such account, region, benefit or payment method", body = Problem),
        (status = 409, description = "The key was used for another request", body = Problem),
        (status = 422, description = "Capacity or months out of range, or tenders do not add up", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn order_plan(
    State(state): State<ApiState>,
    authed: Authed,
    IdempotencyKey(key): IdempotencyKey,
    Body(request): Body<PlanOrderRequest>,
) -> ApiResult<(StatusCode, Replayed, Json<PurchaseDto>)> {
    let caller = authed.0.clone();
    let account_id = authed.account_or(request.account_id.as_deref())?;
    let benefit_ids = benefit_ids(&request.benefit_ids)?;
    let capacity = CuHours::parse(&request.capacity_cu_hours)
        .map_err(|e| ApiError::invalid("capacity_cu_hours", e.to_string()))?;
    let account = state.billing.accounts().account(&caller, &account_id).await?;
    let tenders = request.tenders.as_deref().map(|t| tenders(account.currency, t)).transpose()?;
    let purchase = PlanPurchase {
        account_id,
        region_id: request.region_id,
        capacity,
        months: request.months,
        benefit_ids,
        tenders,
    };
    Ok(purchase_answer(state.billing.purchases().buy_plan_once(&caller, &key, &purchase).await?))
}

/// Pay an unpaid order. Moves money: send an `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/orders/{id}/payment", tag = "orders",
    params(
        ("id" = String, Path, description = "Order id"),
        ("Idempotency-Key" = String, Header, description = "Repeats with the same key return the first result"),
    ),
    request_body = PaymentRequest,
    responses(
        (status = 201, description = "Paid", body = PurchaseDto),
        (status = 200, description = "The first result of a repeated request", body = PurchaseDto, headers(("Idempotent-Replayed" = String, description = "`true`: this is the stored first answer"))),
        (status = 400, description = "Malformed request, amount or method", body = Problem),
        (status = 402, description = "Overdue account, or the balance does not cover its tender", body = Problem),
        (status = 404, description = "No such order in this account, or no such payment method", body = Problem),
        (status = 409, description = "The key was used for another request", body = Problem),
        (status = 422, description = "Not unpaid, tenders do not add up, or an unusable payment method", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn pay_order(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    IdempotencyKey(key): IdempotencyKey,
    Path(id): Path<OrderId>,
    Body(request): Body<PaymentRequest>,
) -> ApiResult<(StatusCode, Replayed, Json<PurchaseDto>)> {
    let order = state.billing.purchases().order(&caller, &id).await?;
    let tenders = tenders(order.currency(), &request.tenders)?;
    Ok(purchase_answer(state.billing.purchases().pay_order_once(&caller, &key, &id, &tenders).await?))
}

/// Cancel an unpaid order; its vouchers and coupons become usable again,
/// and an instance never paid for is cancelled with it.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancellation", tag = "orders",
    params(("id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "Cancelled", body = OrderDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such order in this account", body = Problem),
        (status = 422, description = "The order is not unpaid", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn cancel_order(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<OrderId>,
) -> ApiResult<Json<OrderDto>> {
    let order = state.billing.purchases().cancel_order(&caller, &id).await?;
    Ok(Json(OrderDto::from(OrderView::from(&order))))
}

/// One order.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders",
    params(("id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such order in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn get_order(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<OrderId>,
) -> ApiResult<Json<OrderDto>> {
    let order = state.billing.purchases().order(&caller, &id).await?;
    Ok(Json(OrderDto::from(OrderView::from(&order))))
}

/// An instance's orders, oldest first.
#[utoipa::path(get, path = "/api/v1/instances/{id}/orders", tag = "orders",
    params(("id" = String, Path, description = "Instance id")),
    responses(
        (status = 200, description = "The orders", body = [OrderDto]),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such instance in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_instance_orders(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<InstanceId>,
) -> ApiResult<Json<Vec<OrderDto>>> {
    let orders = state.billing.purchases().orders(&caller, &id).await?;
    Ok(Json(orders.iter().map(OrderView::from).map(OrderDto::from).collect()))
}
