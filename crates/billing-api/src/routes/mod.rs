//! Route handlers, one module per subject.

pub mod accounts;
pub mod api_keys;
pub mod benefits;
pub mod bills;
pub mod catalog;
pub mod documents;
pub mod events;
pub mod health;
pub mod instances;
pub mod integrity;
pub mod orders;
pub mod payment_methods;
pub mod policy;
pub mod refunds;
pub mod renewals;
pub mod unsubscription;
pub mod usage;
pub mod workspaces;

use billing_app::AppError;

use crate::problem::ApiError;

/// The `Idempotent-Replayed: true` header, on an answer that repeats the
/// stored first answer of an idempotent request (and on no other).
pub struct Replayed(pub bool);

impl axum::response::IntoResponseParts for Replayed {
    type Error = std::convert::Infallible;

    fn into_response_parts(
        self,
        mut parts: axum::response::ResponseParts,
    ) -> Result<axum::response::ResponseParts, Self::Error> {
        if self.0 {
            parts.headers_mut().insert("idempotent-replayed", axum::http::HeaderValue::from_static("true"));
        }
        Ok(parts)
    }
}

/// A list whose every input is a query parameter: any bad one is answered
/// `400`; every other error passes through.
pub fn query_error(e: AppError) -> ApiError {
    match e {
        AppError::Invalid { field, message } => ApiError::invalid(&field, message),
        other => other.into(),
    }
}

/// A paging cursor the caller cannot see is bad input, answered `400` like
/// any other; every other error passes through.
pub fn cursor_error(e: AppError) -> ApiError {
    match e {
        AppError::Invalid { field, message } if field == "starting_after" => ApiError::invalid(&field, message),
        other => other.into(),
    }
}
