//! Reads the API answers from the use cases directly.

use billing_app::model::PaymentMethod;
use billing_app::{Billing, Caller};
use billing_domain::ids::PaymentMethodId;

use crate::problem::ApiError;

/// One payment method the caller may see, or `NOT_FOUND`.
pub async fn payment_method(
    billing: &Billing,
    caller: &Caller,
    id: &PaymentMethodId,
) -> Result<PaymentMethod, ApiError> {
    Ok(billing.accounts().payment_method(caller, id).await?)
}
