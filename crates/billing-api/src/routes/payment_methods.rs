//! Payment methods: cards, PayPal accounts and bank accounts an account pays
//! with, and whether each can still be charged.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use billing_app::model::PaymentMethod;
use billing_domain::ids::{AccountId, PaymentMethodId};
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
            id: m.id.to_string(),
            account_id: m.account_id.to_string(),
            kind: m.kind.as_str().to_owned(),
            label: m.label.clone(),
            valid: m.valid,
        }
    }
}

/// A payment method to register. A card or PayPal account goes to the
/// payment channel, which checks it and issues the token kept in its place;
/// the number or address itself is never stored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPaymentMethod {
    /// `card`, `paypal` or `bank_transfer`.
    #[schema(value_type = crate::dto::names::PaymentMethodKind, inline)]
    pub kind: String,
    /// For a card: its number (the simulated channel's test cards
    /// `4000000000000002` and `4000000000009995` always decline).
    #[serde(default)]
    #[schema(max_length = 32)]
    pub card_number: Option<String>,
    /// For PayPal: the account's address.
    #[serde(default)]
    #[schema(max_length = 254)]
    pub paypal_email: Option<String>,
    /// For a bank account: what the customer sees, 1 to 100 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub label: Option<String>,
}

impl NewPaymentMethod {
    /// The one detail `kind` needs; any other given is an error.
    fn details(&self, kind: PaymentMethodKind) -> ApiResult<&str> {
        if kind == PaymentMethodKind::Balance {
            return Err(ApiError::invalid("kind", "the balance is not a payment method to register"));
        }
        let (wanted, field) = match kind {
            PaymentMethodKind::Card => (&self.card_number, "card_number"),
            PaymentMethodKind::Paypal => (&self.paypal_email, "paypal_email"),
            _ => (&self.label, "label"),
        };
        let given = [("card_number", &self.card_number), ("paypal_email", &self.paypal_email), ("label", &self.label)];
        if let Some((other, _)) = given.iter().find(|(name, value)| *name != field && value.is_some()) {
            return Err(ApiError::invalid(other, format!("does not go with kind {kind}")));
        }
        let value =
            wanted.as_deref().ok_or_else(|| ApiError::invalid(field, format!("is required for kind {kind}")))?;
        if value.len() > 254 {
            return Err(ApiError::invalid(field, "is too long"));
        }
        Ok(value)
    }
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
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_payment_methods(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<AccountId>,
) -> ApiResult<Json<Vec<PaymentMethodDto>>> {
    let methods = state.billing.accounts().payment_methods(&caller, &id).await?;
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
        (status = 422, description = "The balance, a card number or address the channel refused, or a bad label", body = Problem),
        (status = 503, description = "The payment channel did not answer", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn add_payment_method(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<AccountId>,
    Body(request): Body<NewPaymentMethod>,
) -> ApiResult<(StatusCode, Json<PaymentMethodDto>)> {
    let kind: PaymentMethodKind = request.kind.parse().map_err(|e: String| ApiError::invalid("kind", e))?;
    let details = request.details(kind)?;
    let method = state.billing.accounts().add_payment_method(&caller, &id, kind, details).await?;
    Ok((StatusCode::CREATED, Json(PaymentMethodDto::from(&method))))
}

/// One payment method.
#[utoipa::path(get, path = "/api/v1/payment-methods/{id}", tag = "payment methods",
    params(("id" = String, Path, description = "Payment method id")),
    responses(
        (status = 200, description = "The payment method", body = PaymentMethodDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such payment method in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn get_payment_method(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<PaymentMethodId>,
) -> ApiResult<Json<PaymentMethodDto>> {
    let method = crate::reads::payment_method(&state.billing, &caller, &id).await?;
    Ok(Json(PaymentMethodDto::from(&method)))
}

/// Detach a payment method (`valid: false`): it can no longer be charged,
/// and refunds for what it paid go to the balance. Only an operator can
/// mark one valid again.
#[utoipa::path(patch, path = "/api/v1/payment-methods/{id}", tag = "payment methods",
    params(("id" = String, Path, description = "Payment method id")),
    request_body = PaymentMethodPatch,
    responses(
        (status = 200, description = "The payment method", body = PaymentMethodDto),
        (status = 400, description = "Malformed request, or the id in the path is not an id", body = Problem),
        (status = 403, description = "A customer key marking a method valid", body = Problem),
        (status = 404, description = "No such payment method in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn update_payment_method(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<PaymentMethodId>,
    Body(request): Body<PaymentMethodPatch>,
) -> ApiResult<Json<PaymentMethodDto>> {
    let method = state.billing.accounts().set_payment_method_valid(&caller, &id, request.valid).await?;
    Ok(Json(PaymentMethodDto::from(&method)))
}
