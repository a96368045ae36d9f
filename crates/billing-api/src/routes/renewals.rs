//! Renewing a subscription quota: a renewal order whose period starts where
//! the current one ends.
//!

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use billing_domain::ids::InstanceId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ApiState;
use crate::dto::orders::{benefit_ids, tenders};
use crate::dto::{PurchaseDto, TenderDto};
use crate::extract::{Authed, Body, IdempotencyKey, Path};
use crate::problem::{ApiResult, Problem};
use crate::routes::Replayed;

/// A renewal to buy.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewalRequest {
    /// Whole months, within the region's range.
    pub months: u32,
    /// Vouchers and coupons to apply (at most 20).
    #[serde(default)]
    pub benefit_ids: Vec<String>,
    /// Cash tenders to pay with now, adding up to the cash due; leave out to
    /// pay later.
    #[serde(default)]
    pub tenders: Option<Vec<TenderDto>>,
}

/// Renew an active quota; the renewal starts where the current period ends
/// and is a pending renewal until then. Pays it now when tenders are given.
/// Moves money: send an `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/instances/{id}/renewals", tag = "orders",
    params(
        ("id" = String, Path, description = "Instance id of a subscription quota"),
        ("Idempotency-Key" = String, Header, description = "Repeats with the same key return the first result"),
    ),
    request_body = RenewalRequest,
    responses(
        (status = 201, description = "Renewed (and paid, with tenders)", body = PurchaseDto),
        (status = 200, description = "The first result of a repeated request", body = PurchaseDto, headers(("Idempotent-Replayed" = String, description = "`true`: this is the stored first answer"))),
        (status = 400, description = "Malformed request, amount or method", body = Problem),
        (status = 402, description = "Overdue account, or the balance does not cover its tender", body = Problem),
        (status = 404, description = "No such instance in this account, or no such benefit or payment method", body = Problem),
        (status = 409, description = "The key was used for another request", body = Problem),
        (status = 422, description = "Not an active quota, an unpaid order is pending, months out of range, or tenders do not add up", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn renew_instance(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    IdempotencyKey(key): IdempotencyKey,
    Path(id): Path<InstanceId>,
    Body(request): Body<RenewalRequest>,
) -> ApiResult<(StatusCode, Replayed, Json<PurchaseDto>)> {
    let benefit_ids = benefit_ids(&request.benefit_ids)?;
    let instance = state.billing.purchases().instance(&caller, &id).await?;
    let account = state.billing.accounts().account(&caller, &instance.account_id).await?;
    let tenders = request.tenders.as_deref().map(|t| tenders(account.currency, t)).transpose()?;
    let done = state
        .billing
        .purchases()
        .renew_once(&caller, &key, &id, request.months, &benefit_ids, tenders.as_deref())
        .await?;
    Ok(crate::routes::orders::purchase_answer(done))
}
