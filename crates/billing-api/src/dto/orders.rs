//! Wire types of orders: what a purchase asks for and what it answers.

use billing_app::purchase::TenderInput;
pub use billing_app::views::{OrderDto, PurchaseDto, PurchasedInstanceDto, TenderDto};
use billing_domain::ids::BenefitId;
use billing_domain::money::Currency;
use billing_domain::order::PaymentMethodKind;

use super::money;
use crate::extract::{id, opt_id};
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

/// Reads the benefit ids of a request, naming `benefit_ids[i]` at fault;
/// refuses more than [`MAX_BENEFITS_PER_ORDER`].
pub fn benefit_ids(given: &[String]) -> Result<Vec<BenefitId>, ApiError> {
    if given.len() > MAX_BENEFITS_PER_ORDER {
        return Err(ApiError::invalid("benefit_ids", format!("at most {MAX_BENEFITS_PER_ORDER} per order")));
    }
    given.iter().enumerate().map(|(i, text)| id(&format!("benefit_ids[{i}]"), text)).collect()
}
