//! Wire types of orders: what a purchase asks for and what it answers.

use billing_app::model::{InstanceRecord, OrderRecord, TenderRecord};
use billing_app::purchase::{Purchase, TenderInput};
use billing_domain::money::Currency;
use billing_domain::order::PaymentMethodKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{instant, money};
use crate::problem::ApiError;

/// Most vouchers and coupons one order may name.
pub const MAX_BENEFITS_PER_ORDER: usize = 20;

/// One cash part of a payment.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenderDto {
    /// `balance`, `card`, `paypal` or `bank_transfer`.
    #[schema(value_type = super::names::TenderMethod, inline)]
    pub method: String,
    /// The card, PayPal or bank account to charge; none for the balance.
    #[serde(default)]
    pub payment_method_id: Option<String>,
    /// How much, in the account's currency, e.g. `"100.00"`.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub amount: String,
}

impl From<&TenderRecord> for TenderDto {
    fn from(t: &TenderRecord) -> Self {
        TenderDto {
            method: t.method.as_str().to_owned(),
            payment_method_id: t.payment_method_id.clone(),
            amount: t.amount.to_string(),
        }
    }
}

/// Reads the tenders of a request in `currency`, naming `tenders[i].…` at fault.
pub fn tenders(currency: Currency, given: &[TenderDto]) -> Result<Vec<TenderInput>, ApiError> {
    given
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let method: PaymentMethodKind =
                t.method.parse().map_err(|e: String| ApiError::invalid(&format!("tenders[{i}].method"), e))?;
            let amount = money(&format!("tenders[{i}].amount"), currency, &t.amount)?;
            Ok(TenderInput { method, payment_method_id: t.payment_method_id.clone(), amount })
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

/// One purchase of an instance.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderDto {
    /// Id.
    pub id: String,
    /// The instance bought or renewed.
    pub instance_id: String,
    /// Buyer.
    pub account_id: String,
    /// `new` or `renewal`.
    pub kind: String,
    /// `unpaid`, `paid`, `cancelled` or `refunded`.
    pub status: String,
    /// Months bought.
    pub months: u32,
    /// Currency of every amount.
    pub currency: String,
    /// Catalog price.
    pub list_price: String,
    /// Discount taken off.
    pub discount: String,
    /// Coupons applied.
    pub coupon: String,
    /// Vouchers applied.
    pub voucher: String,
    /// Cash to pay: list price less discount, coupons and vouchers, never below zero.
    pub cash_due: String,
    /// Vouchers and coupons applied.
    pub benefit_ids: Vec<String>,
    /// How the cash was paid (empty until paid).
    pub tenders: Vec<TenderDto>,
    /// When it was placed.
    pub created_at: String,
    /// When it was paid.
    pub paid_at: Option<String>,
    /// For a new order: when the instance was activated.
    pub activated_at: Option<String>,
    /// While unpaid: why its last payment did not go through (the payment
    /// channel's reason), to pay it again another way.
    pub payment_failure: Option<String>,
}

impl From<&OrderRecord> for OrderDto {
    fn from(o: &OrderRecord) -> Self {
        let c = &o.charges;
        OrderDto {
            id: o.id.clone(),
            instance_id: o.instance_id.clone(),
            account_id: o.account_id.clone(),
            kind: o.kind.as_str().to_owned(),
            status: o.status.as_str().to_owned(),
            months: o.months,
            currency: o.currency().code().to_owned(),
            list_price: c.list_price.to_string(),
            discount: c.discount.to_string(),
            coupon: c.coupon.to_string(),
            voucher: c.voucher.to_string(),
            // The charges were checked when the order was placed; a failure
            // here would be a corrupt row, shown rather than hidden.
            cash_due: c.cash_due().map_or_else(|e| e.to_string(), |m| m.to_string()),
            benefit_ids: o.benefit_ids.clone(),
            tenders: o.tenders.iter().map(TenderDto::from).collect(),
            created_at: instant(o.created_at),
            paid_at: o.paid_at.map(instant),
            payment_failure: o.payment_failure.clone(),
            activated_at: o.start.map(instant),
        }
    }
}

/// A prepaid instance as a purchase leaves it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PurchasedInstanceDto {
    /// Id.
    pub id: String,
    /// Owner.
    pub account_id: String,
    /// Region.
    pub region_id: String,
    /// `spark_reserved` or `spark_resource_plan`.
    pub commodity: String,
    /// Quotas: the workspace.
    pub workspace_id: Option<String>,
    /// Quotas: CUs reserved.
    pub quota_cu: Option<u32>,
    /// Plans: CU-hours in the pack.
    pub capacity_cu_hours: Option<String>,
    /// `pending_payment`, `active`, `expired`, `unsubscribed`, `cancelled`, `switched_to_pay_as_you_go` or `activation_failed`.
    pub state: String,
    /// Renews itself before it ends.
    pub auto_renew: bool,
    /// When it was bought.
    pub created_at: String,
}

impl From<&InstanceRecord> for PurchasedInstanceDto {
    fn from(r: &InstanceRecord) -> Self {
        PurchasedInstanceDto {
            id: r.id.clone(),
            account_id: r.account_id.clone(),
            region_id: r.region_id.clone(),
            commodity: r.commodity.code().to_owned(),
            workspace_id: r.workspace_id.clone(),
            quota_cu: r.quota_cu,
            capacity_cu_hours: r.capacity.map(|c| c.to_string()),
            state: r.state.as_str().to_owned(),
            auto_renew: r.auto_renew,
            created_at: instant(r.created_at),
        }
    }
}

/// An order and the instance it bought or extended.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PurchaseDto {
    /// The order.
    pub order: OrderDto,
    /// The instance.
    pub instance: PurchasedInstanceDto,
}

impl From<&Purchase> for PurchaseDto {
    fn from(p: &Purchase) -> Self {
        PurchaseDto { order: OrderDto::from(&p.order), instance: PurchasedInstanceDto::from(&p.instance) }
    }
}
