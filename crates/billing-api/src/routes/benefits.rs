//! Vouchers and coupons: non-cash benefits applied when an order is placed,
//! never refunded.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use billing_app::model::{Benefit, BenefitKind};
use billing_domain::ids::AccountId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ApiState;
use crate::dto::{instant, money, parse_instant};
use crate::extract::{Authed, Body, Path};
use crate::problem::{ApiError, ApiResult, Problem};

/// A voucher or coupon.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BenefitDto {
    /// Id.
    pub id: String,
    /// Holder.
    pub account_id: String,
    /// `voucher` or `coupon`.
    pub kind: String,
    /// Face value.
    pub amount: String,
    /// Currency of `amount`.
    pub currency: String,
    /// Last instant it can be applied.
    pub expires_at: String,
    /// `active`, `used` or `void` (its order was refunded).
    pub status: String,
    /// The order it was applied to.
    pub order_id: Option<String>,
}

impl From<&Benefit> for BenefitDto {
    fn from(b: &Benefit) -> Self {
        BenefitDto {
            id: b.id.to_string(),
            account_id: b.account_id.to_string(),
            kind: b.kind.as_str().to_owned(),
            amount: b.amount.to_string(),
            currency: b.amount.currency().code().to_owned(),
            expires_at: instant(b.expires_at),
            status: b.status.as_str().to_owned(),
            order_id: b.order_id.as_ref().map(ToString::to_string),
        }
    }
}

/// A voucher or coupon to grant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBenefit {
    /// `voucher` or `coupon`.
    #[schema(value_type = crate::dto::names::BenefitKind, inline)]
    pub kind: String,
    /// Face value in the account's currency, e.g. `"50.00"`.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub amount: String,
    /// Last instant it can be applied (RFC 3339).
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// An account's vouchers and coupons.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/benefits", tag = "benefits",
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The vouchers and coupons", body = [BenefitDto]),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_benefits(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<AccountId>,
) -> ApiResult<Json<Vec<BenefitDto>>> {
    let benefits = state.billing.accounts().benefits(&caller, &id).await?;
    Ok(Json(benefits.iter().map(BenefitDto::from).collect()))
}

/// Grant a voucher or coupon (operators only).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/benefits", tag = "benefits",
    params(("id" = String, Path, description = "Account id")),
    request_body = NewBenefit,
    responses(
        (status = 201, description = "Granted", body = BenefitDto),
        (status = 400, description = "Malformed request, kind, amount or instant", body = Problem),
        (status = 403, description = "Not an operator key", body = Problem),
        (status = 404, description = "No such account", body = Problem),
        (status = 422, description = "Amount not above zero", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn grant_benefit(
    State(state): State<ApiState>,
    authed: Authed,
    Path(id): Path<AccountId>,
    Body(request): Body<NewBenefit>,
) -> ApiResult<(StatusCode, Json<BenefitDto>)> {
    let caller = authed.operator()?;
    let kind = BenefitKind::ALL
        .into_iter()
        .find(|k| k.as_str() == request.kind)
        .ok_or_else(|| ApiError::invalid("kind", "must be voucher or coupon"))?;
    let account = state.billing.accounts().account(caller, &id).await?;
    let amount = money("amount", account.currency, &request.amount)?;
    let expires_at = parse_instant("expires_at", &request.expires_at)?;
    let benefit = state.billing.accounts().grant_benefit(caller, &id, kind, amount, expires_at).await?;
    Ok((StatusCode::CREATED, Json(BenefitDto::from(&benefit))))
}
