//! Renewing a subscription quota: a renewal order whose period starts where
//! the current one ends.
//!
//! billing-app does not yet offer the renewal inside a caller's transaction
//! (`renew_in` is crate-private), so the renewal cannot share the
//! idempotency transaction the way the other purchases do. Until it can, the
//! order is placed unpaid first and paid inside the idempotent transaction;
//! whenever the request does not complete for the first time (the payment
//! fails, or the key was used before) the order just placed is cancelled
//! again, which also frees its vouchers and coupons. The effect seen by the
//! client is the same: one renewal per key, or none.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use billing_app::purchase::TenderInput;
use billing_app::service::Idempotent;
use billing_app::{AppError, Caller};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ApiState;
use crate::dto::orders::{check_benefit_ids, tenders};
use crate::dto::{PurchaseDto, TenderDto};
use crate::extract::{Authed, Body, IdempotencyKey, Path};
use crate::problem::{ApiResult, Problem};
use crate::routes::{Replayed, request_hash, to_stored};

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
    Path(id): Path<String>,
    Body(request): Body<RenewalRequest>,
) -> ApiResult<(StatusCode, Replayed, Json<PurchaseDto>)> {
    check_benefit_ids(&request.benefit_ids)?;
    let instance = state.billing.instance(&caller, &id).await?;
    let account = state.billing.account(&caller, &instance.account_id).await?;
    let tenders = request.tenders.as_deref().map(|t| tenders(account.currency, t)).transpose()?;
    let body = serde_json::to_string(&request).map_err(AppError::internal)?;
    let hash = request_hash(&["instances/renewals", &id, &body]);
    let done = renew_once(&state, &caller, &key, &hash, &id, &request, tenders).await?;
    crate::routes::orders::purchase_answer(&state, &caller, &done).await
}

/// Places and (given tenders) pays the renewal in one transaction, once
/// per key.
async fn renew_once(
    state: &ApiState,
    caller: &Caller,
    key: &str,
    hash: &str,
    instance_id: &str,
    request: &RenewalRequest,
    tenders: Option<Vec<TenderInput>>,
) -> Result<Idempotent, AppError> {
    let (billing, who, instance_id) = (state.billing.clone(), caller.clone(), instance_id.to_owned());
    let (months, benefit_ids) = (request.months, request.benefit_ids.clone());
    state
        .billing
        .idempotent(caller, key, hash, move |tx| {
            Box::pin(async move {
                let purchase =
                    billing.renew_in(tx, &who, &instance_id, months, &benefit_ids, tenders.as_deref()).await?;
                to_stored(&PurchaseDto::from(&purchase))
            })
        })
        .await
}
