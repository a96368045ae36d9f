//! Payment methods: cards, PayPal accounts and bank accounts an account pays
//! with, and whether each can still be charged.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use billing_app::model::PaymentMethod;
use billing_domain::order::PaymentMethodKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ApiState;
use crate::extract::{Authed, Body, Path};
use crate::problem::{ApiError, ApiResult, Problem};

/// A way an account pays.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentMethodDto {
    /// Id.
    pub id: String,
    /// Owner.
    pub account_id: String,
    /// `card`, `paypal` or `bank_transfer`.
    pub kind: String,
    /// What the customer sees, e.g. "Visa ending 4242".
    pub label: String,
    /// False once it can no longer be charged; refunds for it then go to the balance.
    pub valid: bool,
}

impl From<&PaymentMethod> for PaymentMethodDto {
    fn from(m: &PaymentMethod) -> Self {
        PaymentMethodDto {
            id: m.id.clone(),
            account_id: m.account_id.clone(),
            kind: m.kind.as_str().to_owned(),
            label: m.label.clone(),
            valid: m.valid,
        }
    }
}

/// A payment method to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPaymentMethod {
    /// `card`, `paypal` or `bank_transfer`.
    #[schema(value_type = crate::dto::names::PaymentMethodKind, inline)]
    pub kind: String,
    /// What the customer sees, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub label: String,
}

/// A change of validity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodPatch {
    /// False when the instrument can no longer be charged (a cancelled card).
    pub valid: bool,
}

/// An account's payment methods.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/payment-methods", tag = "payment methods",
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The payment methods", body = [PaymentMethodDto]),
        (status = 404, description = "No such account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_payment_methods(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<PaymentMethodDto>>> {
    let methods = state.billing.payment_methods(&caller, &id).await?;
    Ok(Json(methods.iter().map(PaymentMethodDto::from).collect()))
}

/// Register a card, PayPal account or bank account.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/payment-methods", tag = "payment methods",
    params(("id" = String, Path, description = "Account id")),
    request_body = NewPaymentMethod,
    responses(
        (status = 201, description = "Registered", body = PaymentMethodDto),
        (status = 400, description = "Malformed request or unknown kind", body = Problem),
        (status = 404, description = "No such account", body = Problem),
        (status = 422, description = "The balance, or a bad label", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn add_payment_method(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    Body(request): Body<NewPaymentMethod>,
) -> ApiResult<(StatusCode, Json<PaymentMethodDto>)> {
    let kind: PaymentMethodKind = request.kind.parse().map_err(|e: String| ApiError::invalid("kind", e))?;
    let method = state.billing.add_payment_method(&caller, &id, kind, &request.label).await?;
    Ok((StatusCode::CREATED, Json(PaymentMethodDto::from(&method))))
}

/// One payment method.
#[utoipa::path(get, path = "/api/v1/payment-methods/{id}", tag = "payment methods",
    params(("id" = String, Path, description = "Payment method id")),
    responses(
        (status = 200, description = "The payment method", body = PaymentMethodDto),
        (status = 404, description = "No such payment method in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn get_payment_method(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<PaymentMethodDto>> {
    let method = crate::reads::payment_method(&state.billing, &caller, &id).await?;
    Ok(Json(PaymentMethodDto::from(&method)))
}

/// Mark a payment method valid or invalid. An invalid method cannot be
/// charged, and refunds for what it paid go to the balance.
#[utoipa::path(patch, path = "/api/v1/payment-methods/{id}", tag = "payment methods",
    params(("id" = String, Path, description = "Payment method id")),
    request_body = PaymentMethodPatch,
    responses(
        (status = 200, description = "The payment method", body = PaymentMethodDto),
        (status = 400, description = "Malformed request", body = Problem),
        (status = 404, description = "No such payment method in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn update_payment_method(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    Body(request): Body<PaymentMethodPatch>,
) -> ApiResult<Json<PaymentMethodDto>> {
    let method = state.billing.set_payment_method_valid(&caller, &id, request.valid).await?;
    Ok(Json(PaymentMethodDto::from(&method)))
}
