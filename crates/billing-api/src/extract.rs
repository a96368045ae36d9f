//! Request extractors that answer every failure as a problem: the caller
//! behind the API key, JSON bodies, query strings and paths.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use billing_app::Caller;
use billing_domain::ids::{AccountId, Id};
use serde::de::DeserializeOwned;

use crate::ApiState;
use crate::problem::ApiError;

/// The caller an API key stands for.
#[derive(Clone, Debug)]
pub struct Authed(pub Caller);

impl Authed {
    /// Refuses customers with `403`.
    pub fn operator(&self) -> Result<&Caller, ApiError> {
        match &self.0 {
            Caller::Customer(_) => Err(ApiError::forbidden()),
            caller => Ok(caller),
        }
    }

    /// The account a request acts for: `given`, or for a customer key its
    /// own account. Another customer's id is passed on, so that the use case
    /// answers it exactly like a missing one.
    pub fn account_or(&self, given: Option<&str>) -> Result<AccountId, ApiError> {
        match (&self.0, given) {
            (_, Some(id)) => account_id("account_id", id),
            (Caller::Customer(own), None) => Ok(own.clone()),
            (_, None) => Err(ApiError::invalid("account_id", "required with an operator key")),
        }
    }
}

impl FromRequestParts<ApiState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(Authed(caller.clone()));
        }
        let Some(secret) = bearer_secret(&parts.headers) else {
            state.limiter.check_address(client_address(parts))?;
            return Err(ApiError::unauthenticated());
        };
        let caller = match state.billing.accounts().authenticate_from_memory(secret) {
            Some(caller) => caller,
            None => {
                // Counted before the lookup, so that guessing keys costs the
                // database nothing once the address is over its limit.
                state.limiter.check_address(client_address(parts))?;
                state.billing.accounts().authenticate(secret).await?.ok_or_else(ApiError::unauthenticated)?
            }
        };
        state.limiter.check_key(&billing_app::keys::hash_key(secret))?;
        parts.extensions.insert(caller.clone());
        Ok(Authed(caller))
    }
}

/// The credentials of an `Authorization: Bearer <secret>` header, the
/// scheme in any case and spaces around the secret ignored.
pub fn bearer_secret(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, secret) = value.split_once([' ', '\t'])?;
    let secret = secret.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty()).then_some(secret)
}

/// The address of the client at the other end of the connection (never a
/// header a client could forge); without one (an in-process call), the
/// unspecified address, shared by all such calls.
fn client_address(parts: &Parts) -> std::net::IpAddr {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or(std::net::IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), |info| info.0.ip())
}

/// A JSON body; malformed JSON, wrong types and unknown fields are `400`.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::invalid("body", "send the body as JSON with `Content-Type: application/json`"))
            }
            Err(JsonRejection::BytesRejection(e)) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::payload_too_large())
            }
            Err(JsonRejection::BytesRejection(e)) if stopped_arriving(&e) => Err(ApiError::body_timeout()),
            Err(e) => Err(ApiError::invalid("body", e.body_text())),
        }
    }
}

/// A query string; bad parameters are `400`.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| ApiError::invalid("query", e.body_text()))
    }
}

/// Path parameters; bad ones are `400`.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e: PathRejection| ApiError::invalid("path", e.body_text()))
    }
}

/// The `Idempotency-Key` header, required on money-moving requests.
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get("idempotency-key").ok_or_else(|| {
            ApiError::invalid("Idempotency-Key", "this request moves money: send an `Idempotency-Key` header")
        })?;
        let key = value.to_str().map_err(|_| ApiError::invalid("Idempotency-Key", "must be printable ASCII"))?;
        billing_app::idempotency::check_idempotency_key(key)?;
        Ok(IdempotencyKey(key.to_owned()))
    }
}

/// A `text/csv` (or `text/plain`) body in UTF-8.
pub struct CsvBody(pub String);

impl<S: Send + Sync> FromRequest<S> for CsvBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let essence = content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if essence != "text/csv" && essence != "text/plain" {
            return Err(ApiError::invalid("body", "send the body as CSV with `Content-Type: text/csv`"));
        }
        match axum::body::Bytes::from_request(req, state).await {
            Ok(bytes) => String::from_utf8(bytes.to_vec())
                .map(CsvBody)
                .map_err(|_| ApiError::invalid("body", "the CSV is not valid UTF-8")),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::payload_too_large()),
            Err(e) if stopped_arriving(&e) => Err(ApiError::body_timeout()),
            Err(e) => Err(ApiError::invalid("body", e.body_text())),
        }
    }
}

/// Whether reading the body failed because it stopped arriving (the
/// server's body timeout, `tower_http`'s `RequestBodyTimeoutLayer`).
fn stopped_arriving(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// Reads an account id given in `field`.
pub fn account_id(field: &str, text: &str) -> Result<AccountId, ApiError> {
    id(field, text)
}

/// Reads an id of kind `I` given in `field`; text that cannot be one is
/// `400`.
pub fn id<I: Id>(field: &str, text: &str) -> Result<I, ApiError> {
    I::parse(text).map_err(|e| ApiError::invalid(field, e.to_string()))
}

/// Reads an optional id of kind `I` given in `field`.
pub fn opt_id<I: Id>(field: &str, text: Option<&str>) -> Result<Option<I>, ApiError> {
    text.map(|t| id(field, t)).transpose()
}

/// Reads an optional account id given in `field`.
pub fn opt_account_id(field: &str, text: Option<&str>) -> Result<Option<AccountId>, ApiError> {
    text.map(|t| account_id(field, t)).transpose()
}
