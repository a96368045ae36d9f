//! Wire types of orders: what a purchase asks for and what it answers.

use billing_app::purchase::TenderInput;
pub use billing_app::views::{OrderDto, PurchaseDto, PurchasedInstanceDto, TenderDto};
use billing_domain::money::Currency;
use billing_domain::order::PaymentMethodKind;

use super::money;
use crate::extract::opt_id;
use crate::problem::ApiError;

/// Most vouchers and coupons one order may name.
pub const MAX_BENEFITS_PER_ORDER: usize = 20;

/// Reads the tenders of a request in `currency`, naming `tenders[i].…` at fault.
pub fn tenders(currency: Currency, given: &[TenderDto]) -> Result<Vec<TenderInput>, ApiError> {
    given
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let method: PaymentMethodKind =
                t.method.parse().map_err(|e: String| ApiError::invalid(&format!("tenders[{i}].method"), e))?;
            let amount = money(&format!("tenders[{i}].amount"), currency, &t.amount)?;
            let payment_method_id = opt_id(&format!("tenders[{i}].payment_method_id"), t.payment_method_id.as_deref())?;
            Ok(TenderInput { method, payment_method_id, amount })
        })
        .collect()
}

/// Refuses more than [`MAX_BENEFITS_PER_ORDER`] benefit ids.
pub fn check_benefit_ids(ids: &[String]) -> Result<(), ApiError> {
    if ids.len() > MAX_BENEFITS_PER_ORDER {
        return Err(ApiError::invalid("benefit_ids", format!("at most {MAX_BENEFITS_PER_ORDER} per order")));
    }
    Ok(())
}
