//! Errors as `application/problem+json` bodies with a stable `code`.
//!
//! Business outcomes keep their use-case code and get a fitting status;
//! internal failures are logged in full and answered with a generic message.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use billing_app::AppError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response (RFC 9457).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:spark-billing:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short, human-readable summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// The stable machine code, e.g. `QUOTE_STALE`.
    pub code: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error answered as a problem.
#[derive(Clone, Debug)]
pub struct ApiError {
    status: StatusCode,
    code: String,
    detail: String,
    field: Option<String>,
    retry_after_seconds: Option<u64>,
}

/// Seconds a client is asked to wait before retrying when the database is
/// busy or unavailable.
pub const RETRY_UNAVAILABLE_SECONDS: u64 = 1;

impl ApiError {
    /// A problem with `status`, `code` and `detail`.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> ApiError {
        ApiError { status, code: code.to_owned(), detail: detail.into(), field: None, retry_after_seconds: None }
    }

    /// `429 RATE_LIMITED`, to be retried after `seconds`.
    pub fn rate_limited(seconds: u64) -> ApiError {
        ApiError {
            retry_after_seconds: Some(seconds),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "too many requests; slow down")
        }
    }

    /// `408 REQUEST_TIMEOUT`: the body stopped arriving.
    pub fn body_timeout() -> ApiError {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "REQUEST_TIMEOUT",
            "the request body stopped arriving; send it again",
        )
    }

    /// `400 INVALID_INPUT` naming `field`.
    pub fn invalid(field: &str, detail: impl Into<String>) -> ApiError {
        ApiError { field: Some(field.to_owned()), ..ApiError::new(StatusCode::BAD_REQUEST, "INVALID_INPUT", detail) }
    }

    /// `401 UNAUTHENTICATED`.
    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "send a valid API key as `Authorization: Bearer <key>`",
        )
    }

    /// `403 FORBIDDEN`: an operator-only route with a customer key.
    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", "this route needs an operator key")
    }

    /// `413 PAYLOAD_TOO_LARGE`.
    pub fn payload_too_large() -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("the body is larger than {} bytes", crate::MAX_BODY_BYTES),
        )
    }

    /// `404 NOT_FOUND` for a route that does not exist.
    pub fn no_route() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such route")
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The code.
    pub fn code(&self) -> &str {
        &self.code
    }
}

/// The status a business outcome is answered with.
fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Invalid { .. }
        | AppError::CurrencyMismatch { .. }
        | AppError::TendersDoNotAddUp { .. }
        | AppError::TooFewCu { .. }
        | AppError::MonthsOutOfRange { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::AccountOverdue { .. } | AppError::InsufficientBalance { .. } | AppError::PaymentDeclined { .. } => {
            StatusCode::PAYMENT_REQUIRED
        }
        AppError::PaymentMethodUnusable { .. }
        | AppError::BenefitUnusable { .. }
        | AppError::InvalidState { .. }
        | AppError::NotEligible { .. }
        | AppError::ConfirmationMismatch { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::DuplicateUsageRecord { .. }
        | AppError::QuoteStale { .. }
        | AppError::QuotaRefundable { .. }
        | AppError::IdempotencyKeyReused { .. } => StatusCode::CONFLICT,
        AppError::Busy | AppError::Unavailable(_) | AppError::ChannelUnavailable { .. } => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let status = status_of(&e);
        if let AppError::Internal(detail) = &e {
            tracing::error!(%detail, "internal error");
            return ApiError::new(status, e.code(), "something went wrong on our side; it has been logged");
        }
        if let AppError::Unavailable(detail) = &e {
            tracing::warn!(%detail, "database unavailable");
        }
        let retry_after_seconds =
            matches!(e, AppError::Busy | AppError::Unavailable(_)).then_some(RETRY_UNAVAILABLE_SECONDS);
        let field = match &e {
            AppError::Invalid { field, .. } => Some(field.clone()),
            _ => None,
        };
        ApiError { status, code: e.code().to_owned(), detail: e.to_string(), field, retry_after_seconds }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error").to_owned();
        let body = Problem {
            problem_type: format!("urn:spark-billing:problem:{}", self.code.to_ascii_lowercase()),
            title,
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code,
            field: self.field,
        };
        let mut response = (self.status, Json(body)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after_seconds {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Answers every error response made outside the handlers (the router's
/// `405`, the body limit's `413`) as a problem too, so that clients see one
/// error format; problems and successful answers pass through unchanged.
pub async fn problems_only(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::new(status, "METHOD_NOT_ALLOWED", "this route does not answer that method")
        }
        _ => ApiError::new(status, "HTTP_ERROR", status.canonical_reason().unwrap_or("error")),
    };
    let mut answer = error.into_response();
    if let Some(allow) = response.headers().get(header::ALLOW) {
        answer.headers_mut().insert(header::ALLOW, allow.clone());
    }
    answer
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
