//! Accounts (listed with search and paging), their API keys and balance
//! top-ups.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use billing_app::directory::AccountFilter;
use billing_app::topups::TopUpRequest;
use billing_domain::ids::{AccountId, PaymentMethodId};
use billing_domain::order::PaymentMethodKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::dto::{AccountDto, AccountSummaryDto, PageParams, currency, money};
use crate::extract::{Authed, Body, IdempotencyKey, Path, Query};
use crate::problem::{ApiError, ApiResult, Problem};

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// Unique name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `USD`, `CNY`, `EUR` or `JPY`.
    #[schema(value_type = crate::dto::names::Currency, inline)]
    pub currency: String,
}

/// A new API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// What the key is for, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub label: String,
}

/// A key just made; its secret is shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyCreated {
    /// Key id.
    pub id: String,
    /// The account it acts for.
    pub account_id: String,
    /// What it is for.
    pub label: String,
    /// The secret: send it as `Authorization: Bearer <key>`.
    pub key: String,
}

/// Cash added to a balance.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopUp {
    /// Amount in the account's currency, e.g. `"100.00"`.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub amount: String,
    /// `card` or `paypal` (charged through the payment channel), or
    /// `bank_transfer` (operators only: records a transfer that arrived).
    #[schema(value_type = crate::dto::names::PaymentMethodKind, inline)]
    pub method: String,
    /// The card or PayPal account to charge.
    #[serde(default)]
    pub payment_method_id: Option<String>,
}

/// Filters and page of the account list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AccountQuery {
    /// Only accounts whose name contains this text (any case) or whose id
    /// is exactly it; at most 100 characters.
    #[param(nullable = false, max_length = 100)]
    pub q: Option<String>,
    /// At most this many (1 to 100, default 50).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The next page: accounts listed after this one (the last account of
    /// the previous page).
    #[param(nullable = false)]
    pub starting_after: Option<String>,
}

/// Accounts by name, with their active instances and pending refunds:
/// every account for operators; a customer key sees its own account only.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts",
    params(AccountQuery),
    responses(
        (status = 200, description = "The accounts, by name", body = [AccountSummaryDto]),
        (status = 400, description = "Bad search text, page size or `starting_after`", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_accounts(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Query(query): Query<AccountQuery>,
) -> ApiResult<Json<Vec<AccountSummaryDto>>> {
    let limit = PageParams { limit: query.limit }.limit()?;
    let filter = AccountFilter { query: query.q, starting_after: query.starting_after, limit };
    let found =
        state.billing.operations().account_summaries(&caller, filter).await.map_err(crate::routes::query_error)?;
    Ok(Json(found.iter().map(AccountSummaryDto::from).collect()))
}

/// Open an account (operators only).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts",
    request_body = NewAccount,
    responses(
        (status = 201, description = "Opened", body = AccountDto),
        (status = 400, description = "Malformed request", body = Problem),
        (status = 403, description = "Not an operator key", body = Problem),
        (status = 422, description = "Name taken or invalid", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn create_account(
    State(state): State<ApiState>,
    authed: Authed,
    Body(request): Body<NewAccount>,
) -> ApiResult<(StatusCode, Json<AccountDto>)> {
    let caller = authed.operator()?;
    let currency = currency("currency", &request.currency)?;
    let account = state.billing.accounts().create_account(caller, &request.name, currency).await?;
    Ok((StatusCode::CREATED, Json(AccountDto::from(&account))))
}

/// One account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account with its counts", body = AccountSummaryDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such account, or another customer's", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn get_account(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<AccountId>,
) -> ApiResult<Json<AccountSummaryDto>> {
    Ok(Json(AccountSummaryDto::from(&state.billing.operations().account_summary(&caller, &id).await?)))
}

/// Make an API key for an account (operators only); the secret is in the
/// answer and nowhere else.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/api-keys", tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    request_body = NewApiKey,
    responses(
        (status = 201, description = "The key", body = ApiKeyCreated),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 403, description = "Not an operator key", body = Problem),
        (status = 404, description = "No such account", body = Problem),
        (status = 422, description = "Bad label", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn create_api_key(
    State(state): State<ApiState>,
    authed: Authed,
    Path(id): Path<AccountId>,
    Body(request): Body<NewApiKey>,
) -> ApiResult<(StatusCode, Json<ApiKeyCreated>)> {
    let caller = authed.operator()?;
    let (key, secret) = state.billing.accounts().create_api_key(caller, Some(&id), &request.label).await?;
    let body = ApiKeyCreated { id: key.id.into_string(), account_id: id.into_string(), label: key.label, key: secret };
    Ok((StatusCode::CREATED, Json(body)))
}

/// Add cash to an account's balance. Moves money: send an
/// `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/top-ups", tag = "accounts",
    params(
        ("id" = String, Path, description = "Account id"),
        ("Idempotency-Key" = String, Header, description = "Repeats with the same key change nothing"),
    ),
    request_body = TopUp,
    responses(
        (status = 200, description = "The account after the top-up", body = AccountDto, headers(("Idempotent-Replayed" = String, description = "`true`: this is the stored first answer"))),
        (status = 400, description = "Malformed request", body = Problem),
        (status = 402, description = "The channel declined the charge", body = Problem),
        (status = 403, description = "A bank transfer recorded by a customer key", body = Problem),
        (status = 404, description = "No such account or payment method", body = Problem),
        (status = 409, description = "Key used for another request", body = Problem),
        (status = 422, description = "Bad amount or method", body = Problem),
        (status = 503, description = "The payment channel did not answer; repeat with the same key", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn top_up(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    IdempotencyKey(key): IdempotencyKey,
    Path(id): Path<AccountId>,
    Body(request): Body<TopUp>,
) -> ApiResult<(crate::routes::Replayed, Json<AccountDto>)> {
    let account = state.billing.accounts().account(&caller, &id).await?;
    let amount = money("amount", account.currency, &request.amount)?;
    let method: PaymentMethodKind = request.method.parse().map_err(|e: String| ApiError::invalid("method", e))?;
    let payment_method_id: Option<PaymentMethodId> =
        crate::extract::opt_id("payment_method_id", request.payment_method_id.as_deref())?;
    let top_up = TopUpRequest { account_id: id, amount, method, payment_method_id };
    let done = state.billing.purchases().top_up_once(&caller, &key, &top_up).await?;
    Ok((crate::routes::Replayed(done.replayed), Json(AccountDto::from(&done.value))))
}
