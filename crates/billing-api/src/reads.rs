//! A read the API needs that billing-app has no use case for yet: one
//! payment method by id. It is a plain read through the store's
//! transaction, with the same visibility rule as the use cases (another
//! account's method answers exactly like a missing one). It belongs in
//! billing-app; when it is there, this becomes a one-line call.

use billing_app::model::PaymentMethod;
use billing_app::{AppError, Billing, Caller};

use crate::problem::ApiError;

/// One payment method the caller may see, or `NOT_FOUND`.
pub async fn payment_method(billing: &Billing, caller: &Caller, id: &str) -> Result<PaymentMethod, ApiError> {
    let mut tx = billing.store().read().await.map_err(AppError::from)?;
    let found = tx.payment_method(id).await.map_err(AppError::from)?;
    match found {
        Some(method) if caller.may_see(&method.account_id) => Ok(method),
        _ => Err(AppError::not_found("payment method", id).into()),
    }
}
