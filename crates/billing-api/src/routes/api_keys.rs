//! API keys: listing, revoking and rolling. Operators act on any key,
//! customers on their own; another account's key answers 404 like a missing
//! one. A rolled key's new secret is in the answer and nowhere else.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use billing_app::model::ApiKey;
use billing_domain::ids::ApiKeyId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::dto::instant;
use crate::extract::{Authed, Path, Query, opt_account_id};
use crate::problem::{ApiResult, Problem};

/// An API key without its secret.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyDto {
    /// Key id.
    pub id: String,
    /// The account it acts for; `null` for an operator key.
    pub account_id: Option<String>,
    /// What it is for.
    pub label: String,
    /// When it was made.
    pub created_at: String,
    /// When it was revoked; `null` while it works.
    pub revoked_at: Option<String>,
}

impl From<&ApiKey> for ApiKeyDto {
    fn from(k: &ApiKey) -> Self {
        ApiKeyDto {
            id: k.id.to_string(),
            account_id: k.account_id.as_ref().map(ToString::to_string),
            label: k.label.clone(),
            created_at: instant(k.created_at),
            revoked_at: k.revoked_at.map(instant),
        }
    }
}

/// The key that replaces a rolled one; its secret is shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyRolled {
    /// The new key's id.
    pub id: String,
    /// The account it acts for; `null` for an operator key.
    pub account_id: Option<String>,
    /// What it is for (the rolled key's label).
    pub label: String,
    /// The new secret: send it as `Authorization: Bearer <key>`.
    pub key: String,
    /// The key it replaces, now revoked.
    pub replaces: String,
}

/// Filters of the key list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyQuery {
    /// Only this account's keys (operators; customers always see their own).
    #[param(nullable = false)]
    pub account_id: Option<String>,
}

/// API keys the caller may see, by id (at most 1,000): every key for
/// operators, a customer's own. Secrets are never shown.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "accounts",
    params(ApiKeyQuery),
    responses(
        (status = 200, description = "The keys", body = [ApiKeyDto]),
        (status = 400, description = "Bad filter", body = Problem),
        (status = 404, description = "Another account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_api_keys(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Query(query): Query<ApiKeyQuery>,
) -> ApiResult<Json<Vec<ApiKeyDto>>> {
    let keys = state
        .billing
        .accounts()
        .api_keys(&caller, opt_account_id("account_id", query.account_id.as_deref())?.as_ref())
        .await?;
    Ok(Json(keys.iter().map(ApiKeyDto::from).collect()))
}

/// Revoke a key: it stops working at once in this server and within a
/// second in every other. Revoking a revoked key changes nothing.
#[utoipa::path(post, path = "/api/v1/api-keys/{id}/revoke", tag = "accounts",
    params(("id" = String, Path, description = "Key id")),
    responses(
        (status = 200, description = "The key, revoked", body = ApiKeyDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such key", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn revoke_api_key(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<ApiKeyId>,
) -> ApiResult<Json<ApiKeyDto>> {
    let key = state.billing.accounts().revoke_api_key(&caller, &id).await?;
    Ok(Json(ApiKeyDto::from(&key)))
}

/// Roll a key: revoke it and make a new one for the same account with the
/// same label. The new secret is in the answer and nowhere else.
#[utoipa::path(post, path = "/api/v1/api-keys/{id}/roll", tag = "accounts",
    params(("id" = String, Path, description = "Key id")),
    responses(
        (status = 201, description = "The new key", body = ApiKeyRolled),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such key", body = Problem),
        (status = 422, description = "The key is revoked", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn roll_api_key(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<ApiKeyId>,
) -> ApiResult<Response> {
    let (key, secret) = state.billing.accounts().roll_api_key(&caller, &id).await?;
    let body = ApiKeyRolled {
        id: key.id.into_string(),
        account_id: key.account_id.map(String::from),
        label: key.label,
        key: secret,
        replaces: id.into_string(),
    };
    let mut response = (axum::http::StatusCode::CREATED, Json(body)).into_response();
    // A secret must not be kept by any cache on the way.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
