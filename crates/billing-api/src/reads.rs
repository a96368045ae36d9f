//! Reads the API needs that billing-app has no use case for yet: one
//! payment method by id, and a page of the audit trail. Each is a plain read
//! through the store's transaction, with the same visibility rule as the use
//! cases (another account's thing answers exactly like a missing one).
//! They belong in billing-app; when it has them, these become one-line calls.

use billing_app::model::{AuditEvent, PaymentMethod};
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

/// Up to `limit` audit events after sequence number `after`, oldest first
/// (operators only).
pub async fn audit_events(
    billing: &Billing,
    caller: &Caller,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditEvent>, ApiError> {
    caller.require_operator()?;
    let mut tx = billing.store().read().await.map_err(AppError::from)?;
    Ok(tx.audit_events(after, limit).await.map_err(AppError::from)?)
}
